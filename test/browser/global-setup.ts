/**
 * Global setup of the browser project: builds the site when site/dist is older than its
 * sources (the API reference and Limits pages are generated from worker/), then starts one
 * dev server for every browser test file.
 */
import type { TestProject } from "vitest/node";
import { buildSiteIfStale } from "../site-build";
import { startDevServer } from "./server";

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
