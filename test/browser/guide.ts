/**
 * Helpers for tests that visit every page of the built site: the list of pages, the guide's
 * search dialog, and recorders for WebAssembly calls and Content-Security-Policy violations.
 */
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import type { Page } from "playwright-core";

const DIST = "site/dist";

/** Lists every built guide page's path, such as `/` and `/quick-start/`, from site/dist. */
export function guidePaths(): string[] {
  const paths = ["/"];
  for (const entry of readdirSync(DIST).sort()) {
    if (entry === "playground" || entry.startsWith("_")) continue;
    const directory = join(DIST, entry);
    if (statSync(directory).isDirectory() && readdirSync(directory).includes("index.html")) paths.push(`/${entry}/`);
  }
  return paths;
}

/** Opens the search dialog with Ctrl+K, types the query and waits for its results. */
export async function searchFor(page: Page, query: string): Promise<void> {
  const dialog = page.getByTestId("search-dialog");
  if (!(await dialog.isVisible())) {
    await page.getByTestId("search-open").and(page.locator(":enabled")).waitFor();
    await page.keyboard.press("Control+k");
    await dialog.waitFor();
  }
  await page.getByTestId("search-input").fill(query);
  // The results list names its query once the index has loaded and been searched.
  await page.locator(`[data-testid='search-results'][data-query=${JSON.stringify(query)}]`).waitFor({ state: "attached" });
}

// The recorders run in the page before its own scripts. They are plain strings, because the
// test files are type-checked without the DOM library.
const WEBASSEMBLY_RECORDER = `
  window.__webAssemblyCalls = [];
  for (const name of ["compile", "compileStreaming", "instantiate", "instantiateStreaming", "validate"]) {
    const original = WebAssembly[name];
    if (typeof original !== "function") continue;
    WebAssembly[name] = function (...args) {
      window.__webAssemblyCalls.push(name);
      return original.apply(this, args);
    };
  }
  for (const name of ["Module", "Instance"]) {
    const Original = WebAssembly[name];
    WebAssembly[name] = new Proxy(Original, {
      construct(target, args, newTarget) {
        window.__webAssemblyCalls.push("new " + name);
        return Reflect.construct(target, args, newTarget);
      },
    });
  }
`;

const CSP_RECORDER = `
  window.__cspViolations = [];
  document.addEventListener("securitypolicyviolation", (event) => {
    window.__cspViolations.push(event.violatedDirective + " blocked " + (event.blockedURI || "inline") + " in " + event.documentURI);
  });
`;

/** Wraps WebAssembly's compile and instantiate calls and constructors in every page of the context. */
export async function recordWebAssembly(page: Page): Promise<void> {
  await page.addInitScript({ content: WEBASSEMBLY_RECORDER });
}

export function webAssemblyCalls(page: Page): Promise<string[]> {
  return page.evaluate(() => (globalThis as unknown as { __webAssemblyCalls?: string[] }).__webAssemblyCalls ?? ["recorder missing"]);
}

/** Records every securitypolicyviolation event, and returns the console errors as they arrive. */
export async function recordCspViolations(page: Page): Promise<string[]> {
  await page.addInitScript({ content: CSP_RECORDER });
  const consoleErrors: string[] = [];
  page.on("console", (message) => {
    if (message.type() === "error") consoleErrors.push(`${message.text()} (${page.url()})`);
  });
  return consoleErrors;
}

export function cspViolations(page: Page): Promise<string[]> {
  return page.evaluate(() => (globalThis as unknown as { __cspViolations?: string[] }).__cspViolations ?? ["recorder missing"]);
}
