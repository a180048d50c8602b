/**
 * An Astro integration that writes the guide's search index after the build, from the HTML
 * that the build wrote, so that generated pages (the API reference, the limits) are searched
 * as readers see them.
 */
import { existsSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import type { AstroIntegration } from "astro";
import { extractPage, SEARCH_INDEX_FILE, SEARCH_INDEX_VERSION, type IndexedPage, type SearchIndex } from "./search-index";

export interface SearchIndexOptions {
  /** Paths of built pages that are not guide pages, such as `playground/` and `404/`. */
  exclude: string[];
}

/**
 * Finds the built file of a page path: `quick-start/` is `quick-start/index.html`, while
 * Astro writes the 404 page, whose path is `404/`, to `404.html`. Returns null when neither exists.
 */
function builtFile(outDir: URL, pathname: string): string | null {
  const trimmed = pathname.replace(/\/$/, "");
  const candidates = [pathname === "" ? "index.html" : `${trimmed}/index.html`, `${trimmed}.html`];
  for (const candidate of candidates) {
    const file = fileURLToPath(new URL(candidate, outDir));
    if (existsSync(file)) return file;
  }
  return null;
}

export function searchIndex(options: SearchIndexOptions): AstroIntegration {
  return {
    name: "ferris-edge-search-index",
    hooks: {
      "astro:build:done": async ({ dir, pages, logger }) => {
        const excluded = new Set(options.exclude);
        const indexed: IndexedPage[] = [];

        for (const { pathname } of pages) {
          if (excluded.has(pathname)) continue;
          const file = builtFile(dir, pathname);
          if (file === null) throw new Error(`The search index found no built file for the page /${pathname} in ${fileURLToPath(dir)}.`);

          const page = extractPage(await readFile(file, "utf8"), `/${pathname}`);
          if (page === null) {
            logger.warn(`${file} has no Starlight content area, so the search index leaves it out.`);
            continue;
          }
          indexed.push(page);
        }

        indexed.sort((a, b) => a.url.localeCompare(b.url));
        const index: SearchIndex = { version: SEARCH_INDEX_VERSION, pages: indexed };
        await writeFile(new URL(SEARCH_INDEX_FILE, dir), JSON.stringify(index));
        logger.info(`Wrote ${SEARCH_INDEX_FILE} with ${indexed.length} pages.`);
      },
    },
  };
}
