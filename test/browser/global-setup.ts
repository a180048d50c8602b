/**
 * Global setup of the browser project: builds the site when site/dist is older than its
 * sources (the API reference and Limits pages are generated from worker/), then starts one
 * dev server for every browser test file.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { startDevServer } from "./server";

const SOURCES = ["site/src", "site/astro.config.mjs", "worker"];
const BUILT_PAGE = "site/dist/index.html";

function newestModification(path: string): number {
  const stats = statSync(path);
  if (!stats.isDirectory()) return stats.mtimeMs;
  let newest = stats.mtimeMs;
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestModification(join(path, entry)));
  return newest;
}

function buildSiteIfStale(): void {
  const builtAt = existsSync(BUILT_PAGE) ? statSync(BUILT_PAGE).mtimeMs : 0;
  const changedAt = Math.max(...SOURCES.map(newestModification));
  if (builtAt > changedAt) return;

  const result = spawnSync("npm", ["run", "build"], { encoding: "utf8", env: process.env });
  if (result.status !== 0) {
    throw new Error(`npm run build failed with exit code ${result.status}:\n${result.stdout}\n${result.stderr}`);
  }
}

declare module "vitest" {
  export interface ProvidedContext {
    baseUrl: string;
  }
}

export default async function setup(project: TestProject) {
  buildSiteIfStale();
  const server = await startDevServer();
  project.provide("baseUrl", server.baseUrl);
  return async () => server.stop();
}
