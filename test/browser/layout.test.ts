import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { Page } from "playwright-core";
import { openBrowser, openPlayground, type TestBrowser } from "./browser";
import { addExamplePackage, runAndOpenExecution } from "./flows";

interface Box {
  left: number;
  right: number;
  top: number;
  bottom: number;
}

interface FlowStage extends Box {
  /** The arrow after the box, from its ::after content: "→", "↓" or none. */
  arrow: string;
}

// Typed by shape, because the test files are type-checked without the DOM library.
type Element = { getBoundingClientRect(): Box };
type Window = { getComputedStyle(element: unknown, pseudo: string): { content: string } };

/** Reads the Overview's flow diagram: its frame and each stage's box and arrow. */
async function readFlow(page: Page): Promise<{ frame: Box; stages: FlowStage[] }> {
  const frame = await page.locator(".flow-frame").evaluate((element) => {
    const { left, right, top, bottom } = (element as unknown as Element).getBoundingClientRect();
    return { left, right, top, bottom };
  });
  const stages = await page.locator(".flow li").evaluateAll((items) =>
    items.map((item) => {
      const { left, right, top, bottom } = (item as unknown as Element).getBoundingClientRect();
      const content = (globalThis as unknown as Window).getComputedStyle(item, "::after").content;
      return { left, right, top, bottom, arrow: content === "none" ? "" : content.replaceAll('"', "") };
    }),
  );
  return { frame, stages };
}

/** Returns the horizontal overflow of the page, in CSS pixels (0 when nothing sticks out). */
function horizontalOverflow(page: Page): Promise<number> {
  type Document = { documentElement: { scrollWidth: number; clientWidth: number } };
  return page.evaluate(() => {
    const root = (globalThis as unknown as { document: Document }).document.documentElement;
    return root.scrollWidth - root.clientWidth;
  });
}

describe("overview flow diagram", () => {
  const baseUrl = inject("baseUrl");
  let browser: TestBrowser;

  beforeAll(async () => {
    browser = await openBrowser();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it.each([
    [1280, 2],
    [375, 6],
  ])("wraps at %d px into %d rows", async (width, rows) => {
    const { page } = browser;
    await page.setViewportSize({ width, height: 900 });
    await page.goto(`${baseUrl}/`);
    const { frame, stages } = await readFlow(page);

    expect(stages).toHaveLength(6);
    expect(new Set(stages.map((stage) => Math.round(stage.top))).size).toBe(rows);
    expect(await horizontalOverflow(page)).toBe(0);
    for (const stage of stages) {
      expect(stage.left).toBeGreaterThanOrEqual(frame.left - 0.5);
      expect(stage.right).toBeLessThanOrEqual(frame.right + 0.5);
    }

    // Each arrow points at the next stage across a gap wide enough to show it.
    for (const [index, stage] of stages.entries()) {
      const next = stages[index + 1];
      if (next === undefined) {
        expect(stage.arrow, "last stage").toBe("");
      } else if (stage.arrow === "→") {
        expect(Math.abs(next.top - stage.top), `stage ${index + 1}`).toBeLessThan(1);
        expect(next.left - stage.right, `stage ${index + 1}`).toBeGreaterThanOrEqual(20);
      } else if (stage.arrow === "↓") {
        expect(next.top - stage.bottom, `stage ${index + 1}`).toBeGreaterThanOrEqual(20);
        const middle = (stage.left + stage.right) / 2;
        expect(middle).toBeGreaterThan(next.left);
        expect(middle).toBeLessThan(next.right);
      } else {
        // No arrow only at the end of a row: the next stage starts the next row.
        expect(stage.arrow, `stage ${index + 1}`).toBe("");
        expect(next.top, `stage ${index + 1}`).toBeGreaterThan(stage.bottom);
      }
    }
  });
});

describe("playground layout", () => {
  const baseUrl = inject("baseUrl");
  let browser: TestBrowser;

  beforeAll(async () => {
    browser = await openBrowser();
    await browser.page.setViewportSize({ width: 1280, height: 900 });
    await openPlayground(browser.page, baseUrl);
    await addExamplePackage(browser.page, "test_secrets");
    await runAndOpenExecution(browser.page);
  });
  afterAll(async () => {
    await browser?.close();
  });

  it("keeps Show Results on a phone screen", async () => {
    const { page } = browser;
    await page.setViewportSize({ width: 375, height: 800 });
    await page.getByTestId("tab-steps").click();
    const button = await page.getByTestId("show-results").first().boundingBox();
    expect(button).not.toBeNull();
    expect(button!.x).toBeGreaterThanOrEqual(0);
    expect(button!.x + button!.width).toBeLessThanOrEqual(375);
    expect(await horizontalOverflow(page)).toBe(0);

    await page.getByTestId("nav-executions").click();
    const open = await page.getByTestId("open-package").first().boundingBox();
    expect(open).not.toBeNull();
    expect(open!.x + open!.width).toBeLessThanOrEqual(375);
    expect(await horizontalOverflow(page)).toBe(0);
  });

  it("keeps audit names on one line", async () => {
    const { page } = browser;
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.getByTestId("nav-audit").click();
    await page.getByTestId("audit-table").waitFor();
    type Inline = { getClientRects(): ArrayLike<unknown>; textContent: string | null };
    const lineCounts = await page.locator("[data-testid='audit-action-name'], [data-testid='audit-secret-name']").evaluateAll((codes) =>
      (codes as unknown as Inline[]).map((code) => [code.textContent ?? "", code.getClientRects().length] as const),
    );
    expect(lineCounts.length).toBeGreaterThan(3);
    for (const [name, lines] of lineCounts) expect(lines, name).toBe(1);
  });

  it("aligns the audit filters", async () => {
    const { page } = browser;
    const filters = page.getByTestId("audit-filters");
    const controls = await filters.locator("label > input, label > select").evaluateAll((elements) =>
      elements.map((element) => {
        const { top, bottom } = (element as unknown as Element).getBoundingClientRect();
        return { top: Math.round(top), bottom: Math.round(bottom) };
      }),
    );
    expect(controls).toHaveLength(7);
    // Controls in one row share their top and bottom edges.
    const rows = new Map<number, number[]>();
    for (const control of controls) rows.set(control.top, [...(rows.get(control.top) ?? []), control.bottom]);
    expect(rows.size).toBeLessThan(controls.length);
    for (const [top, bottoms] of rows) expect(new Set(bottoms).size, `row at ${top}`).toBe(1);

    const apply = await page.getByTestId("audit-apply").boundingBox();
    const clear = await page.getByTestId("audit-reset").boundingBox();
    expect(apply!.y).toBe(clear!.y);
    expect(apply!.height).toBe(clear!.height);
  });

  it("rejects a reversed time range", async () => {
    const { page } = browser;
    await page.getByTestId("audit-since").fill("2026-12-02T10:00:00");
    await page.getByTestId("audit-until").fill("2026-12-01T10:00:00");
    await page.getByTestId("audit-apply").click();
    const error = page.getByTestId("audit-error");
    await error.waitFor();
    expect(await error.textContent()).toContain("Since must be earlier than Until");
  });
});

describe("favicon", () => {
  const baseUrl = inject("baseUrl");

  it("serves /favicon.svg", async () => {
    const response = await fetch(`${baseUrl}/favicon.svg`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("image/svg+xml");
    expect(await response.text()).toContain("<svg");

    const page = await (await fetch(`${baseUrl}/`)).text();
    expect(page).toMatch(/<link rel="shortcut icon" href="\/favicon\.svg"|<link[^>]+rel="icon"[^>]+href="\/favicon\.svg"/);
  });
});
