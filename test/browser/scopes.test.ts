import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { openBrowser, openPlayground, type TestBrowser } from "./browser";
import { addExamplePackage, readStepResults, runAndOpenExecution } from "./flows";

describe("playground secret scopes", () => {
  const baseUrl = inject("baseUrl");
  let browser: TestBrowser;

  beforeAll(async () => {
    browser = await openBrowser();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it("reads project and platform secrets", async () => {
    const { page } = browser;
    await openPlayground(page, baseUrl);

    await page.getByTestId("nav-projects").click();
    await page.getByTestId("open-project").first().click();
    await page.getByTestId("secrets-json").fill('{"API_KEY": "proj-key-7f3a9c"}');
    await page.getByTestId("secrets-upload").click();
    await page.locator("[data-testid='secret-name']", { hasText: "API_KEY" }).waitFor();

    await page.getByTestId("nav-vault").click();
    // The project screen stays until the Vault screen has loaded, and it has the same fields.
    const vault = page.getByTestId("screen-vault");
    await vault.getByTestId("secrets-json").fill('{"REGION": "eu-central-9"}');
    await vault.getByTestId("secrets-upload").click();
    await page.locator("[data-testid='secret-name']", { hasText: "REGION" }).waitFor();
    expect(await page.getByTestId("secrets-table").textContent()).not.toContain("eu-central-9");

    await addExamplePackage(page, "scoped_lookup");
    expect(await page.getByTestId("package-secrets-empty").isVisible()).toBe(true);

    await runAndOpenExecution(page);
    const { output, provenance } = await readStepResults(page);
    expect(output).toContain("API KEY: ***");
    expect(output).toContain("REGION: ***");
    expect(provenance).toContainEqual(["API_KEY", "project", "read"]);
    expect(provenance).toContainEqual(["REGION", "platform", "read"]);
  });

  it("deletes a platform secret", async () => {
    const { page } = browser;
    await page.getByTestId("nav-vault").click();
    await page.getByTestId("screen-vault").waitFor();
    const row = page.locator("[data-testid='secrets-table'] tbody tr", { hasText: "REGION" });
    await row.getByTestId("delete-secret").click();
    await page.getByTestId("secrets-empty").waitFor();
  });
});
