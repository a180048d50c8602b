import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { Page } from "playwright-core";
import { openBrowser, openPlayground, type TestBrowser } from "./browser";
import { addExamplePackage, runAndOpenExecution } from "./flows";

const EXAMPLE_RUN_ACTIONS = ["package.created", "secret.created", "secret.created", "run.started", "secret.read", "secret.read", "run.finished"];
const EXAMPLE_VALUES = ["test_db", "supersecretpas$"];

interface Row {
  seq: string;
  action: string;
  secret: string;
  cells: string[];
}

/** Reads the rows of the audit table, or [] when the page shows no records. */
async function auditRows(page: Page): Promise<Row[]> {
  await page.locator("[data-testid='audit-table'], [data-testid='audit-empty']").first().waitFor();
  // Typed by shape, because the test files are type-checked without the DOM library.
  type Element = { getAttribute(name: string): string | null; querySelectorAll(selector: string): ArrayLike<{ textContent: string | null }> };
  return page.locator("[data-testid='audit-row']").evaluateAll((rows) =>
    (rows as unknown as Element[]).map((row) => {
      const cells = Array.from(row.querySelectorAll("td"), (cell) => cell.textContent ?? "");
      return { seq: row.getAttribute("data-seq") ?? "", action: row.getAttribute("data-action") ?? "", secret: cells[3] ?? "", cells };
    }),
  );
}

/** Sets the filters, applies them and waits for the resulting page. */
async function applyFilters(page: Page, filters: { secret?: string; action?: string; order?: string; limit?: string }): Promise<void> {
  await page.getByTestId("audit-secret").fill(filters.secret ?? "");
  await page.getByTestId("audit-action").selectOption(filters.action ?? "");
  await page.getByTestId("audit-order").selectOption(filters.order ?? "desc");
  await page.getByTestId("audit-limit").fill(filters.limit ?? "50");
  // The button stays disabled until the page has loaded.
  await page.getByTestId("audit-apply").click();
  await page.locator("[data-testid='audit-apply']:enabled").waitFor();
}

describe("playground audit trail", () => {
  const baseUrl = inject("baseUrl");
  let browser: TestBrowser;
  let packageId: string;

  beforeAll(async () => {
    browser = await openBrowser();
    const { page } = browser;
    await openPlayground(page, baseUrl);
    packageId = await addExamplePackage(page, "test_secrets");
    await runAndOpenExecution(page);
    await page.getByTestId("nav-audit").click();
    await page.getByTestId("screen-audit").waitFor();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it("lists the example run's records", async () => {
    const { page } = browser;
    await applyFilters(page, { order: "asc" });
    const rows = await auditRows(page);
    expect(rows.map((row) => row.action)).toEqual(EXAMPLE_RUN_ACTIONS);
    expect(rows.filter((row) => row.action === "secret.created").map((row) => row.secret).sort()).toEqual(["DB_NAME", "DB_PASS"]);
    expect(rows.filter((row) => row.action === "secret.read").map((row) => row.secret).sort()).toEqual(["DB_NAME", "DB_PASS"]);
    expect(rows.find((row) => row.action === "run.finished")?.cells[7]).toBe("completed");
    expect(new URL(page.url()).hash).toBe("#/audit?order=asc&limit=50");
  });

  it("never shows a secret value", async () => {
    const { page } = browser;
    await applyFilters(page, {});
    expect((await auditRows(page)).length).toBe(EXAMPLE_RUN_ACTIONS.length);
    const shown = (await page.getByTestId("screen-audit").textContent()) ?? "";
    const html = await page.content();
    for (const value of EXAMPLE_VALUES) {
      expect(shown, value).not.toContain(value);
      expect(html, value).not.toContain(value);
    }
  });

  it("filters by action and by secret", async () => {
    const { page } = browser;
    await applyFilters(page, { action: "secret.read" });
    const reads = await auditRows(page);
    expect(reads.map((row) => row.action)).toEqual(["secret.read", "secret.read"]);

    await applyFilters(page, { secret: "DB_PASS", order: "asc" });
    const pass = await auditRows(page);
    expect(pass.map((row) => `${row.action} ${row.secret}`)).toEqual(["secret.created DB_PASS", "secret.read DB_PASS"]);

    await applyFilters(page, { secret: "NO_SUCH_SECRET" });
    await page.getByTestId("audit-empty").waitFor();
  });

  it("filters by package from the package's tab", async () => {
    const { page } = browser;
    await page.goto(`${baseUrl}/playground/#/package/${encodeURIComponent(packageId)}`);
    await page.getByTestId("tab-audit").click();
    await page.getByTestId("audit-table").waitFor();
    expect(await page.getByTestId("audit-package").inputValue()).toBe(packageId);
    expect((await auditRows(page)).length).toBe(EXAMPLE_RUN_ACTIONS.length);
  });

  it("pages through the trail", async () => {
    const { page } = browser;
    await applyFilters(page, { order: "asc" });
    const all = (await auditRows(page)).map((row) => row.seq);

    await applyFilters(page, { order: "asc", limit: "3" });
    const seen: string[] = [];
    const pageSizes: number[] = [];
    for (;;) {
      const rows = await auditRows(page);
      pageSizes.push(rows.length);
      seen.push(...rows.map((row) => row.seq));
      if (await page.getByTestId("audit-next").isHidden()) break;
      const first = rows[0]?.seq;
      await page.getByTestId("audit-next").click();
      await page.locator(`[data-testid='audit-row'][data-seq="${first}"]`).waitFor({ state: "detached" });
    }
    expect(pageSizes).toEqual([3, 3, 1]);
    expect(seen).toEqual(all);
    expect(await page.getByTestId("audit-page").textContent()).toBe("Page 3, 1 record");

    await page.getByTestId("audit-previous").click();
    await page.locator(`[data-testid='audit-row'][data-seq="${all[3]}"]`).waitFor();
    expect((await auditRows(page)).map((row) => row.seq)).toEqual(all.slice(3, 6));
    expect(await page.getByTestId("audit-next").isVisible()).toBe(true);
  });

  it("shows the API's error beside Apply", async () => {
    const { page } = browser;
    const apiMessage = await page.evaluate(async () => {
      const response = await fetch("/api/audit?limit=1000");
      return ((await response.json()) as { error: { message: string } }).error.message;
    });
    expect(apiMessage).toContain("limit");

    await applyFilters(page, { limit: "1000" });
    const error = page.getByTestId("audit-filters").getByTestId("audit-error");
    await error.waitFor();
    expect(await error.textContent()).toBe(apiMessage);

    await applyFilters(page, {});
    expect(await error.isHidden()).toBe(true);
  });

  it("reports a link's unreadable time", async () => {
    const { page } = browser;
    await page.goto(`${baseUrl}/playground/#/audit?since=yesterday`);
    const error = page.getByTestId("audit-error");
    await error.waitFor();
    expect(await error.textContent()).toContain("since=yesterday is not a time");
    expect((await auditRows(page)).length).toBe(EXAMPLE_RUN_ACTIONS.length);
  });
});

describe("playground audit rendering", () => {
  const baseUrl = inject("baseUrl");
  let browser: TestBrowser;

  beforeAll(async () => {
    browser = await openBrowser();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it("renders markup in records as text", async () => {
    const { page } = browser;
    const markup = '<img src="x" data-injected="1" onerror="window.injected = true">';
    await openPlayground(page, baseUrl);
    await addExamplePackage(page, "test_secrets", markup);
    await runAndOpenExecution(page);

    await page.getByTestId("nav-audit").click();
    const rows = await auditRows(page);
    const finished = rows.find((row) => row.action === "run.finished");
    expect(finished?.cells[2]).toBe(`script of ${markup}`);
    expect(await page.locator("[data-injected]").count()).toBe(0);
    expect(await page.evaluate(() => (globalThis as { injected?: boolean }).injected)).toBeUndefined();
  });
});
