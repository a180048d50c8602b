import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { openBrowser, openPlayground, type TestBrowser } from "./browser";
import { addExamplePackage } from "./flows";

describe("playground isolation", () => {
  const baseUrl = inject("baseUrl");
  let first: TestBrowser;
  let second: TestBrowser;

  beforeAll(async () => {
    first = await openBrowser();
    second = await openBrowser();
  });
  afterAll(async () => {
    await first?.close();
    await second?.close();
  });

  it("hides one browser's packages from another", async () => {
    await openPlayground(first.page, baseUrl);
    const packageId = await addExamplePackage(first.page, "test_secrets", "first-only");

    await openPlayground(second.page, baseUrl, "#/packages");
    await second.page.getByTestId("packages-empty").waitFor();
    expect(await second.page.getByTestId("screen-packages").textContent()).not.toContain("first-only");

    const status = await second.page.evaluate(async (id) => (await fetch(`/api/packages/${id}`)).status, packageId);
    expect(status).toBe(404);

    const firstWorkspace = await first.page.getByTestId("session-info").textContent();
    const secondWorkspace = await second.page.getByTestId("session-info").textContent();
    expect(firstWorkspace).not.toBe(secondWorkspace);
  });

  it("reset starts an empty workspace", async () => {
    const { page } = first;
    await page.goto(`${baseUrl}/playground/#/packages`);
    await page.getByTestId("package-name").first().waitFor();
    await page.getByTestId("reset-playground").click();
    await page.getByTestId("reset-confirm").click();
    await page.getByTestId("packages-empty").waitFor();
  });
});
