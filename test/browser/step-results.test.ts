import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { Page } from "playwright-core";
import { openBrowser, openPlayground, type TestBrowser } from "./browser";

/** Adds a package of the given scripts through the Add form, and returns its id. */
async function addScripts(page: Page, name: string, scripts: { name: string; source: string }[]): Promise<string> {
  await page.goto(page.url().replace(/#.*$/, "") + "#/packages");
  await page.getByTestId("add-form").waitFor();
  await page.getByTestId("add-name").fill(name);
  for (const [index, script] of scripts.entries()) {
    if (index > 0) await page.getByTestId("add-more-scripts").click();
    await page.getByTestId(`add-script-${index}`).setInputFiles({ name: script.name, mimeType: "text/javascript", buffer: Buffer.from(script.source) });
  }
  await page.getByTestId("add-save").click();
  await page.getByTestId("package-details").waitFor();
  return decodeURIComponent(/#\/package\/([^/]+)$/.exec(page.url())![1]!);
}

/** Clicks Run and waits on the executions tab until the newest execution has the given status. */
async function runUntil(page: Page, status: "completed" | "failed"): Promise<void> {
  await page.getByTestId("run-button").click();
  await page.waitForURL(/\/executions$/);
  await page.locator(`[data-testid='execution-row'][data-status='${status}']`).first().waitFor({ timeout: 90_000 });
}

const OK = "export default async function main() {\n  console.log(\"ok\");\n}\n";
const FAIL = 'export default async function main() {\n  throw new Error("boom <i>html in error</i>");\n}\n';

describe("playground step results", () => {
  const baseUrl = inject("baseUrl");
  let browser: TestBrowser;
  let failingPackage = "";

  beforeAll(async () => {
    browser = await openBrowser();
    await openPlayground(browser.page, baseUrl, "#/packages");
  });
  afterAll(async () => {
    await browser?.close();
  });

  it("shows the error message and the stack", async () => {
    const { page } = browser;
    failingPackage = await addScripts(page, "fails-second", [
      { name: "first.js", source: OK },
      { name: "fail.js", source: FAIL },
      { name: "never.js", source: OK },
    ]);
    await runUntil(page, "failed");

    expect(await page.getByTestId("execution-progress").first().textContent()).toBe("1/3 steps, failed at step 2");
    await page.getByTestId("open-execution").first().click();
    await page.getByTestId("tab-steps").click();
    await page.locator("[data-testid='show-results'][data-position='2']").click();

    const error = page.getByTestId("step-results-2").getByTestId("step-error").locator("pre");
    const lines = ((await error.textContent()) ?? "").split("\n");
    expect(lines[0]).toBe("Error: boom <i>html in error</i>");
    expect(lines.slice(1).join("\n")).toMatch(/at .*fail\.js:2:\d+/);
    expect(await error.locator("i").count()).toBe(0);
  });

  it("says an unprocessed step did not run", async () => {
    const { page } = browser;
    expect(await page.locator("[data-testid='step-status'][data-status='unprocessed']").textContent()).toBe("unprocessed");
    await page.locator("[data-testid='show-results'][data-position='3']").click();
    const results = page.getByTestId("step-results-3");
    await results.waitFor();
    expect(await results.getByTestId("step-not-run").textContent()).toContain("did not run");
  });

  it("links back to the package's executions", async () => {
    const { page } = browser;
    const back = page.getByTestId("execution-back");
    await expect.poll(() => back.getAttribute("href")).toBe(`#/package/${encodeURIComponent(failingPackage)}/executions`);
    await back.click();
    await page.getByTestId("execution-row").first().waitFor();
    expect(page.url()).toContain(`#/package/${encodeURIComponent(failingPackage)}/executions`);
    expect(await page.getByTestId("nav-executions").getAttribute("class")).toContain("active");
  });

  it("counts every step of a completed run", async () => {
    const { page } = browser;
    await addScripts(page, "two-steps", [
      { name: "one.js", source: OK },
      { name: "two.js", source: OK },
    ]);
    await runUntil(page, "completed");
    expect(await page.getByTestId("execution-progress").first().textContent()).toBe("2/2 steps");
    expect(await page.getByTestId("execution-status").first().textContent()).toBe("completed");
  });

  it("shows statuses in words", async () => {
    const { page } = browser;
    const slow = "export default async function main() {\n  await new Promise((resolve) => setTimeout(resolve, 3000));\n}\n";
    await addScripts(page, "slow", [{ name: "slow.js", source: slow }]);
    await page.getByTestId("run-button").click();
    const running = page.locator("[data-testid='execution-row'][data-status='in_progress']").first();
    await running.waitFor({ timeout: 30_000 });
    expect(await running.getByTestId("execution-status").textContent()).toBe("in progress");
    expect(await running.getByTestId("execution-progress").textContent()).toBe("0/1 steps, step 1 running");
    await page.locator("[data-testid='execution-row'][data-status='completed']").first().waitFor({ timeout: 60_000 });
  });

  it("keeps polling after a failed check", async () => {
    const { page } = browser;
    const slow = "export default async function main() {\n  await new Promise((resolve) => setTimeout(resolve, 4000));\n}\n";
    await addScripts(page, "poll-retry", [{ name: "wait.js", source: slow }]);

    // The execution page's first status check fails once, as a dropped connection would.
    let failed = 0;
    await page.route(/\/api\/executions\/exe_[^/]+$/, async (route) => {
      if (failed === 0 && page.url().includes("#/execution/")) {
        failed += 1;
        await route.fulfill({ status: 503, contentType: "application/json", body: '{"error":{"code":"unavailable","message":"Try again."}}' });
      } else {
        await route.continue();
      }
    });
    await page.getByTestId("run-button").click();
    await page.waitForURL(/\/executions$/);
    await page.getByTestId("open-execution").first().click();

    const error = page.getByTestId("execution-error");
    await error.waitFor();
    expect(await error.textContent()).toContain("Try again.");
    expect(await error.textContent()).toContain("Retrying in");
    await expect.poll(() => page.getByTestId("execution-status-detail").textContent(), { timeout: 60_000 }).toBe("completed");
    expect(await error.isHidden()).toBe(true);
    expect(failed).toBe(1);
    await page.unrouteAll();
  });
});
