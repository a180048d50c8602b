import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { Page } from "playwright-core";
import { openBrowser, openPlayground, type TestBrowser } from "./browser";
import { readStepResults, runAndOpenExecution } from "./flows";

const INVALID_UTF8 = "not valid UTF-8";
const FOREIGN_BOM = "must be UTF-8, but it starts with a UTF-16 LE byte order mark";

/** `{"LATIN1_VALUE":"café crème"}` saved as Latin-1, so é and è are single bytes, invalid in UTF-8. */
const LATIN1_FILE = Buffer.from('{"LATIN1_VALUE":"caf\xe9 cr\xe8me"}', "latin1");
/** The same object saved as UTF-16 LE with its byte order mark. */
const UTF16_FILE = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('{"UTF16_VALUE":"café"}', "utf16le")]);

/** Chooses a file in the open secrets panel, uploads it, and returns the error shown beside Upload. */
async function uploadSecretsFile(page: Page, name: string, bytes: Buffer): Promise<string> {
  await page.getByTestId("secrets-file").setInputFiles({ name, mimeType: "application/json", buffer: bytes });
  await page.getByTestId("secrets-upload").click();
  const error = page.getByTestId("secrets-panel").getByTestId("secrets-error");
  await error.waitFor();
  return (await error.textContent()) ?? "";
}

describe("playground secrets files", () => {
  const baseUrl = inject("baseUrl");
  let browser: TestBrowser;

  beforeAll(async () => {
    browser = await openBrowser();
    await openPlayground(browser.page, baseUrl);
  });
  afterAll(async () => {
    await browser?.close();
  });

  it("vault rejects a Latin-1 file", async () => {
    const { page } = browser;
    await page.getByTestId("nav-vault").click();
    expect(await uploadSecretsFile(page, "latin1.json", LATIN1_FILE)).toContain(INVALID_UTF8);
    await page.getByTestId("secrets-empty").waitFor();
  });

  it("vault rejects a UTF-16 file", async () => {
    const { page } = browser;
    expect(await uploadSecretsFile(page, "utf16.json", UTF16_FILE)).toContain(FOREIGN_BOM);
    await page.getByTestId("secrets-empty").waitFor();
  });

  it("project rejects a Latin-1 file", async () => {
    const { page } = browser;
    await page.getByTestId("nav-projects").click();
    await page.getByTestId("open-project").first().click();
    expect(await uploadSecretsFile(page, "latin1.json", LATIN1_FILE)).toContain(INVALID_UTF8);
    await page.getByTestId("secrets-empty").waitFor();
  });

  it("uploads edited text instead of the file", async () => {
    const { page } = browser;
    await page.getByTestId("secrets-file").setInputFiles({ name: "latin1.json", mimeType: "application/json", buffer: LATIN1_FILE });
    await page.getByTestId("secrets-json").fill('{"EDITED": "café"}');
    await page.getByTestId("secrets-upload").click();
    await page.locator("[data-testid='secret-name']", { hasText: "EDITED" }).waitFor();
    expect(await page.getByTestId("secrets-panel").getByTestId("secrets-error").isHidden()).toBe(true);
  });

  it("package form rejects a Latin-1 secrets.json", async () => {
    const { page } = browser;
    await page.getByTestId("nav-executions").click();
    await page.getByTestId("add-form").waitFor();
    await page.getByTestId("add-name").fill("latin1-secrets");
    await page.getByTestId("add-script-0").setInputFiles({ name: "main.js", mimeType: "text/javascript", buffer: Buffer.from("export default async function main() {}\n") });
    await page.getByTestId("add-secrets").setInputFiles({ name: "secrets.json", mimeType: "application/json", buffer: LATIN1_FILE });
    await page.getByTestId("add-save").click();
    const error = page.getByTestId("add-error");
    await error.waitFor();
    expect(await error.textContent()).toContain(INVALID_UTF8);
  });
});

describe("playground add form", () => {
  const baseUrl = inject("baseUrl");
  let browser: TestBrowser;

  beforeAll(async () => {
    browser = await openBrowser();
    await openPlayground(browser.page, baseUrl, "#/packages");
  });
  afterAll(async () => {
    await browser?.close();
  });

  it("Load example fills the scoped secrets", async () => {
    const { page } = browser;
    await page.getByTestId("add-form").waitFor();
    await page.getByLabel("Example").selectOption("scoped_lookup");
    await page.getByTestId("load-example").click();
    expect(await page.getByTestId("example-note").textContent()).toContain("filled in there");

    await page.getByTestId("nav-projects").click();
    await page.getByTestId("open-project").first().click();
    const project = page.getByTestId("screen-project").getByTestId("secrets-json");
    expect(JSON.parse(await project.inputValue())).toHaveProperty("API_KEY");

    await page.getByTestId("nav-vault").click();
    const vault = page.getByTestId("screen-vault").getByTestId("secrets-json");
    expect(JSON.parse(await vault.inputValue())).toHaveProperty("REGION");
  });

  it("sends manifest.json and config.json", async () => {
    const { page } = browser;
    await page.getByTestId("nav-executions").click();
    await page.getByTestId("add-form").waitFor();
    await page.getByTestId("add-name").fill("with-settings");
    const script = 'import { context } from "ferris_ef";\nexport default async function main() {\n  console.log("ENDPOINT: " + context.config.get("endpoint"));\n}\n';
    await page.getByTestId("add-script-0").setInputFiles({ name: "settings.js", mimeType: "text/javascript", buffer: Buffer.from(script) });
    await page.getByLabel("manifest.json", { exact: false }).setInputFiles({ name: "manifest.json", mimeType: "application/json", buffer: Buffer.from('{"timeout_seconds": 7}') });
    await page.getByLabel("config.json", { exact: false }).setInputFiles({ name: "config.json", mimeType: "application/json", buffer: Buffer.from('{"endpoint": "https://api.example.test/v2"}') });
    await page.getByTestId("add-save").click();

    await page.getByTestId("package-details").waitFor();
    expect(await page.getByTestId("package-details").textContent()).toContain("Timeout per step: 7 s.");
    await runAndOpenExecution(page);
    const { output } = await readStepResults(page);
    expect(output).toContain("ENDPOINT: https://api.example.test/v2");
  });

  it("rejects a Latin-1 manifest.json", async () => {
    const { page } = browser;
    await page.getByTestId("nav-executions").click();
    await page.getByTestId("add-form").waitFor();
    await page.getByTestId("add-name").fill("latin1-manifest");
    await page.getByTestId("add-script-0").setInputFiles({ name: "main.js", mimeType: "text/javascript", buffer: Buffer.from("export default async function main() {}\n") });
    await page.getByTestId("add-manifest").setInputFiles({ name: "manifest.json", mimeType: "application/json", buffer: Buffer.from('{"description":"caf\xe9"}', "latin1") });
    await page.getByTestId("add-save").click();
    const error = page.getByTestId("add-error");
    await error.waitFor();
    expect(await error.textContent()).toContain(INVALID_UTF8);
  });

  it("opens a package by its name", async () => {
    const { page } = browser;
    await page.getByTestId("nav-executions").click();
    const row = page.locator("[data-testid='packages-table'] tbody tr", { hasText: "with-settings" });
    await row.waitFor();
    expect(await row.getByRole("link", { name: "Open details of with-settings" }).locator("svg").count()).toBe(1);
    expect(await row.getByTestId("open-package").textContent()).not.toContain("🔍");

    await row.getByRole("link", { name: "with-settings", exact: true }).click();
    await page.getByTestId("package-details").waitFor();
    expect(await page.getByTestId("package-title").textContent()).toBe("Package with-settings");
  });
});
