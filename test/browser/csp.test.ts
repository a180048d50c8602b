import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { openBrowser, type TestBrowser } from "./browser";
import { cspViolations, guidePaths, recordCspViolations, searchFor } from "./guide";

/** Checks the policy that every page must carry: own scripts only, no eval, no WebAssembly. */
function expectStrictPolicy(policy: string | undefined, path: string): void {
  expect(policy, path).toBeDefined();
  const directives = new Map(policy!.split(";").map((directive) => {
    const [name = "", ...values] = directive.trim().split(/\s+/);
    return [name, values] as const;
  }));
  expect(directives.get("default-src"), path).toEqual(["'self'"]);
  expect(directives.get("script-src")?.[0], path).toBe("'self'");
  expect(directives.get("object-src"), path).toEqual(["'none'"]);
  expect(directives.get("frame-ancestors"), path).toEqual(["'none'"]);
  for (const unsafe of ["'unsafe-eval'", "'wasm-unsafe-eval'", "'unsafe-inline'"]) {
    expect(directives.get("script-src"), `${path} script-src`).not.toContain(unsafe);
  }
}

describe("Content-Security-Policy", () => {
  const baseUrl = inject("baseUrl");
  let browser: TestBrowser;
  let consoleErrors: string[];

  beforeAll(async () => {
    browser = await openBrowser();
    consoleErrors = await recordCspViolations(browser.page);
  });
  afterAll(async () => {
    await browser?.close();
  });

  it("recorder sees a violation", async () => {
    const { page } = browser;
    await page.goto(`${baseUrl}/`);
    // An inline script added at run time has no allowed hash, so the policy blocks it.
    await page.evaluate(() => {
      const document = (globalThis as unknown as { document: { createElement(tag: string): { textContent: string }; head: { append(node: unknown): void } } }).document;
      const script = document.createElement("script");
      script.textContent = "globalThis.inlineRan = true;";
      document.head.append(script);
    });
    await page.waitForFunction(() => ((globalThis as unknown as { __cspViolations?: string[] }).__cspViolations ?? []).length > 0);
    expect((await cspViolations(page))[0]).toMatch(/^script-src/);
    expect(await page.evaluate(() => (globalThis as { inlineRan?: boolean }).inlineRan)).toBeUndefined();
    expect(consoleErrors.some((error) => error.includes("Content Security Policy"))).toBe(true);
    consoleErrors.length = 0;
  });

  it("guide pages load without a violation", async () => {
    const { page } = browser;
    for (const path of guidePaths()) {
      const response = await page.goto(`${baseUrl}${path}`);
      expect(response?.status(), path).toBe(200);
      expectStrictPolicy(response?.headers()["content-security-policy"], path);

      await searchFor(page, "secret");
      expect(await cspViolations(page), path).toEqual([]);
    }
    expect(consoleErrors).toEqual([]);
  });

  it("playground loads without a violation", async () => {
    const { page } = browser;
    const response = await page.goto(`${baseUrl}/playground/`);
    expectStrictPolicy(response?.headers()["content-security-policy"], "/playground/");
    await page.waitForSelector("body[data-playground-ready='true']");

    for (const screen of ["nav-projects", "nav-vault", "nav-audit", "nav-executions"]) {
      await page.getByTestId(screen).click();
      await page.waitForLoadState("networkidle");
    }
    await searchFor(page, "playground");
    expect(await cspViolations(page)).toEqual([]);
    expect(consoleErrors).toEqual([]);
  });

  it("API responses carry the policy", async () => {
    const response = await fetch(`${baseUrl}/api/health`);
    expectStrictPolicy(response.headers.get("content-security-policy") ?? undefined, "/api/health");
  });
});
