import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { openBrowser, openPlayground, type TestBrowser } from "./browser";

const METHODS = ["get", "post", "put", "patch", "delete"];

describe("API reference page", () => {
  const baseUrl = inject("baseUrl");
  let browser: TestBrowser;

  beforeAll(async () => {
    browser = await openBrowser();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it("lists every route of /api/openapi.json", async () => {
    const { page } = browser;
    // The session cookie authenticates the document request.
    await openPlayground(page, baseUrl);
    const document = await page.evaluate(async () => {
      const response = await fetch("/api/openapi.json");
      return { status: response.status, body: (await response.json()) as { paths: Record<string, Record<string, unknown>> } };
    });
    expect(document.status).toBe(200);

    const routes = Object.entries(document.body.paths).flatMap(([path, item]) =>
      METHODS.filter((method) => method in item).map((method) => `${method.toUpperCase()} ${path}`),
    );
    expect(routes.length).toBeGreaterThan(5);

    await page.goto(`${baseUrl}/api-reference/`);
    const listed = await page.getByTestId("api-route").evaluateAll((sections) =>
      sections.map((section) => `${section.getAttribute("data-method")} ${section.getAttribute("data-path")}`),
    );
    for (const route of routes) expect(listed, route).toContain(route);
    expect(listed.length).toBe(routes.length);
  });

  it("shows a real validation error", async () => {
    const { page } = browser;
    await openPlayground(page, baseUrl);
    const actual = await page.evaluate(async () => {
      const response = await fetch("/api/projects", { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
      return (await response.json()) as { error: { code: string; message: string; details: unknown } };
    });

    await page.goto(`${baseUrl}/api-reference/`);
    const example = JSON.parse((await page.locator(".sl-markdown-content pre").first().textContent()) ?? "") as typeof actual;
    expect(example).toEqual(actual);
  });
});
