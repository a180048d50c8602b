import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { openBrowser, openPlayground, type TestBrowser } from "./browser";
import { addExamplePackage, readStepResults, runAndOpenExecution } from "./flows";

describe("playground example run", () => {
  const baseUrl = inject("baseUrl");
  let browser: TestBrowser;

  beforeAll(async () => {
    browser = await openBrowser();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it("runs the example and masks its secrets", async () => {
    const { page } = browser;
    await openPlayground(page, baseUrl);

    await addExamplePackage(page, "test_secrets");
    const scripts = await page.getByTestId("script-name").allTextContents();
    expect(scripts).toEqual(["test_secrets.js"]);
    expect(await page.getByTestId("scripts-table").textContent()).not.toContain("secrets.json");
    const secretNames = await page.locator("[data-testid='package-secret'] code").allTextContents();
    expect(secretNames.sort()).toEqual(["DB_NAME", "DB_PASS"]);
    expect(await page.getByTestId("package-details").textContent()).not.toContain("supersecretpas$");

    await runAndOpenExecution(page);
    expect(await page.getByTestId("execution-status-detail").textContent()).toBe("completed");
    expect(await page.getByTestId("execution-trigger").textContent()).toBe("manual");

    const { output, provenance } = await readStepResults(page);
    expect(output).toContain("DB NAME: ***");
    expect(output).toContain("DB PASS: ***");
    expect(output).toContain("PACKAGE NAME: example");
    expect(output.join("\n")).not.toContain("test_db");
    expect(output.join("\n")).not.toContain("supersecretpas$");
    expect(provenance).toContainEqual(["DB_NAME", "package", "read"]);
    expect(provenance).toContainEqual(["DB_PASS", "package", "read"]);
  });

  it("shows and downloads the script", async () => {
    const { page } = browser;
    await page.goto(`${baseUrl}/playground/#/packages`);
    await page.getByTestId("open-package").first().click();
    await page.getByTestId("view-script").first().click();
    await page.getByTestId("script-source").waitFor();
    const source = await page.getByTestId("script-source").textContent();
    expect(source).toContain('import { get_secret, get_param } from "ferris_ef";');

    const [download] = await Promise.all([page.waitForEvent("download"), page.getByTestId("download-script").first().click()]);
    expect(download.suggestedFilename()).toBe("test_secrets.js");
  });

  it("opens with ?example= loaded", async () => {
    const { page } = browser;
    await page.goto(`${baseUrl}/playground/?example=test_secrets`);
    await page.getByTestId("add-form").waitFor();
    expect(await page.getByTestId("add-name").inputValue()).toBe("example");
    // The test files are type-checked without the DOM library, so the input is typed by shape.
    const fileNames = await page.getByTestId("add-script-0").evaluate((input) => {
      const files = (input as unknown as { files: ArrayLike<{ name: string }> | null }).files;
      return Array.from(files ?? [], (file) => file.name);
    });
    expect(fileNames).toEqual(["test_secrets.js"]);
  });

  it("shows the API error beside Save", async () => {
    const { page } = browser;
    await page.goto(`${baseUrl}/playground/#/packages`);
    await page.getByTestId("add-form").waitFor();
    await page.getByTestId("add-name").fill("no-scripts");
    await page.getByTestId("add-save").click();

    const error = page.getByTestId("add-error");
    await error.waitFor();
    expect((await error.textContent())?.length ?? 0).toBeGreaterThan(10);
    expect(await page.getByTestId("add-form").getByTestId("add-error").isVisible()).toBe(true);
  });
});

describe("playground rendering", () => {
  const baseUrl = inject("baseUrl");
  let browser: TestBrowser;

  beforeAll(async () => {
    browser = await openBrowser();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it("renders markup in output as text", async () => {
    const { page } = browser;
    const markup = '<img src="x" data-injected="1" onerror="window.injected = true">';
    const script = `export default async function main() {\n  console.log(${JSON.stringify(markup)});\n}\n`;

    await openPlayground(page, baseUrl, "#/packages");
    await page.getByTestId("add-form").waitFor();
    await page.getByTestId("add-name").fill("markup");
    await page.getByTestId("add-script-0").setInputFiles({ name: "markup.js", mimeType: "text/javascript", buffer: Buffer.from(script) });
    await page.getByTestId("add-save").click();
    await page.getByTestId("package-details").waitFor();

    await runAndOpenExecution(page);
    const { output } = await readStepResults(page);
    expect(output).toContain(markup);
    expect(await page.locator("[data-injected]").count()).toBe(0);
    expect(await page.evaluate(() => (globalThis as { injected?: boolean }).injected)).toBeUndefined();
  });
});
