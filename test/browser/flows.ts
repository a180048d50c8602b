/** Playground steps that several browser tests share, each done the way a visitor does it. */
import { expect } from "vitest";
import type { Page } from "playwright-core";

/** Loads one of the guide's examples into the Add form and saves it; returns the package id. */
export async function addExamplePackage(page: Page, example: string, packageName?: string): Promise<string> {
  await page.goto(page.url().replace(/#.*$/, "") + "#/packages");
  await page.getByTestId("add-form").waitFor();
  await page.getByTestId("example-select").selectOption(example);
  await page.getByTestId("load-example").click();
  if (packageName !== undefined) await page.getByTestId("add-name").fill(packageName);
  await page.getByTestId("add-save").click();

  await page.getByTestId("package-details").waitFor();
  const match = /#\/package\/([^/]+)$/.exec(page.url());
  expect(match, page.url()).not.toBeNull();
  return decodeURIComponent(match![1]!);
}

/** Clicks Run, waits on the executions tab until the newest execution has ended, and opens it. */
export async function runAndOpenExecution(page: Page): Promise<string> {
  await page.getByTestId("run-button").click();
  await page.waitForURL(/\/executions$/);

  const row = page.getByTestId("execution-row").first();
  await row.waitFor();
  await page.waitForSelector("[data-testid='execution-row'][data-status='completed'], [data-testid='execution-row'][data-status='failed']", { timeout: 90_000 });
  expect(await row.getAttribute("data-status")).toBe("completed");

  await row.getByTestId("open-execution").click();
  await page.getByTestId("execution-summary").waitFor();
  const match = /#\/execution\/([^/]+)$/.exec(page.url());
  return decodeURIComponent(match![1]!);
}

/** Opens step 1's results and returns its output texts and provenance rows. */
export async function readStepResults(page: Page, position = 1): Promise<{ output: string[]; provenance: string[][] }> {
  await page.getByTestId("tab-steps").click();
  await page.locator(`[data-testid='show-results'][data-position='${position}']`).click();
  const results = page.getByTestId(`step-results-${position}`);
  await results.waitFor();

  const output = await results.getByTestId("output-text").allTextContents();
  // Typed by shape, because the test files are type-checked without the DOM library.
  type Row = { querySelectorAll(selector: string): ArrayLike<{ textContent: string | null }> };
  const provenance = await results.locator("[data-testid='step-provenance'] tbody tr").evaluateAll((rows) =>
    (rows as unknown as Row[]).map((row) => Array.from(row.querySelectorAll("td"), (cell) => cell.textContent ?? "")),
  );
  return { output, provenance };
}
