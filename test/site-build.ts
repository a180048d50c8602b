/**
 * Builds the site when site/dist is older than its sources (the API reference and Limits
 * pages are generated from worker/), for the test projects that need the built files: the
 * browser tests serve them, and `wrangler deploy --dry-run` uploads them as assets.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";

const SOURCES = ["site/src", "site/astro.config.mjs", "worker", "scripts/site-headers.ts"];
const BUILT_PAGE = "site/dist/index.html";

function newestModification(path: string): number {
  const stats = statSync(path);
  if (!stats.isDirectory()) return stats.mtimeMs;
  let newest = stats.mtimeMs;
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestModification(join(path, entry)));
  return newest;
}

export function buildSiteIfStale(): void {
  const builtAt = existsSync(BUILT_PAGE) ? statSync(BUILT_PAGE).mtimeMs : 0;
  const changedAt = Math.max(...SOURCES.map(newestModification));
  if (builtAt > changedAt) return;

  const result = spawnSync("npm", ["run", "build"], { encoding: "utf8", env: process.env });
  if (result.status !== 0) {
    throw new Error(`npm run build failed with exit code ${result.status}:\n${result.stdout}\n${result.stderr}`);
  }
}
