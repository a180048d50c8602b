import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { openBrowser, openPlayground, type TestBrowser } from "./browser";
import { guidePaths, recordWebAssembly, searchFor, webAssemblyCalls } from "./guide";

describe("guide search", () => {
  const baseUrl = inject("baseUrl");
  let browser: TestBrowser;

  beforeAll(async () => {
    browser = await openBrowser();
    await recordWebAssembly(browser.page);
  });
  afterAll(async () => {
    await browser?.close();
  });

  it("finds a page by a word of its text", async () => {
    const { page } = browser;
    await page.goto(`${baseUrl}/quick-start/`);
    // "fingerprint" appears in the text of the Security model page, not in any title.
    await searchFor(page, "fingerprint");

    const results = page.getByTestId("search-result");
    expect(await results.count()).toBe(1);
    expect(await results.first().getAttribute("data-url")).toBe("/security/");
    expect(await results.first().getByTestId("search-result-link").textContent()).toBe("Security model");
    expect(await results.first().locator("mark").first().textContent()).toBe("fingerprint");

    await results.first().locator(".fe-search-section").first().click();
    await page.waitForURL(/\/security\/#envelope-encryption$/);
    expect(await page.getByTestId("search-dialog").isVisible()).toBe(false);
  });

  it("needs every word of the query", async () => {
    const { page } = browser;
    await page.goto(`${baseUrl}/`);
    await searchFor(page, "fingerprint multipart");
    expect(await page.getByTestId("search-result").count()).toBe(0);
    expect(await page.getByTestId("search-status").textContent()).toBe("No pages match “fingerprint multipart”.");
  });

  it("matches word prefixes and ranks titles first", async () => {
    const { page } = browser;
    await page.goto(`${baseUrl}/`);
    await searchFor(page, "Limi");
    const urls = await page.getByTestId("search-result").evaluateAll((items) => items.map((item) => item.getAttribute("data-url")));
    expect(urls.length).toBeGreaterThan(1);
    expect(urls[0]).toBe("/limits/");
  });

  it("opens and closes with the keyboard", async () => {
    const { page } = browser;
    await page.goto(`${baseUrl}/sdk/`);
    const dialog = page.getByTestId("search-dialog");
    await page.getByTestId("search-open").and(page.locator(":enabled")).waitFor();

    await page.keyboard.press("Control+k");
    await dialog.waitFor();
    expect(await page.getByTestId("search-input").evaluate((input) => input === (input.ownerDocument as unknown as { activeElement: unknown }).activeElement)).toBe(true);
    await page.keyboard.press("Escape");
    await dialog.waitFor({ state: "hidden" });

    await page.keyboard.press("Control+k");
    await dialog.waitFor();
    await page.keyboard.press("Control+k");
    await dialog.waitFor({ state: "hidden" });

    await page.getByTestId("search-open").click();
    await dialog.waitFor();
    await searchFor(page, "masking");
    await page.keyboard.press("ArrowDown");
    const focused = await page.evaluate(() => (globalThis as unknown as { document: { activeElement: { tagName: string } | null } }).document.activeElement?.tagName);
    expect(focused).toBe("A");
  });

  it("follows the dark and light themes", async () => {
    const { page } = browser;
    await page.goto(`${baseUrl}/`);
    const background = async (theme: string) => {
      await page.evaluate((value) => (globalThis as unknown as { document: { documentElement: { dataset: Record<string, string> } } }).document.documentElement.dataset.theme = value, theme);
      await searchFor(page, "secret");
      return page.getByTestId("search-result").first().evaluate((item) => (globalThis as unknown as { getComputedStyle(node: unknown): { backgroundColor: string } }).getComputedStyle(item).backgroundColor);
    };
    const dark = await background("dark");
    const light = await background("light");
    expect(dark).not.toBe(light);
  });
});

describe("WebAssembly on the site", () => {
  const baseUrl = inject("baseUrl");
  let browser: TestBrowser;

  beforeAll(async () => {
    browser = await openBrowser();
    await recordWebAssembly(browser.page);
  });
  afterAll(async () => {
    await browser?.close();
  });

  it("recorder sees a WebAssembly call", async () => {
    const { page } = browser;
    await page.goto(`${baseUrl}/`);
    // The eight bytes of an empty module: the magic number and version 1.
    const valid = await page.evaluate(() => WebAssembly.validate(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0])));
    expect(valid).toBe(true);
    expect(await webAssemblyCalls(page)).toEqual(["validate"]);
  });

  it("no guide page runs WebAssembly, searching included", async () => {
    const { page } = browser;
    const paths = guidePaths();
    expect(paths.length).toBeGreaterThan(8);

    for (const path of paths) {
      await page.goto(`${baseUrl}${path}`);
      await searchFor(page, "secret");
      expect(await page.getByTestId("search-result").count(), path).toBeGreaterThan(0);
      expect(await webAssemblyCalls(page), path).toEqual([]);
    }
  });

  it("the playground runs no WebAssembly", async () => {
    const { page } = browser;
    await openPlayground(page, baseUrl);
    await page.getByTestId("nav-audit").click();
    await page.getByTestId("screen-audit").waitFor();
    await searchFor(page, "audit");
    expect(await webAssemblyCalls(page)).toEqual([]);
  });
});
