/**
 * The benchmark's Worker: the production Worker plus the bench-only floor routes. Only
 * bench/wrangler.toml names this file, so the production build never contains these routes.
 *
 * GET /bench/floor loads a bare dynamic worker through env.LOADER and calls it, the least
 * work a step can cost. GET /bench/floor-via-do does the same inside a Durable Object, which
 * adds the Worker-to-object RPC hop that every execution also takes. GET /bench/floor-cached
 * reuses one loaded worker, which steps never do. breakdown.ts adds routes
 * that time the other parts of a step.
 */
import { DurableObject } from "cloudflare:workers";
import production from "../worker/index";
import type { AppEnv } from "../worker/env";
import { d1Statements, stepSandbox } from "./breakdown";

export { Executor, OutboundGate } from "../worker/index";

interface BenchEnv extends AppEnv {
  BENCH_FLOOR: DurableObjectNamespace<BenchFloor>;
}

/** The same compatibility date as the production Worker, so both runtimes match. */
const COMPATIBILITY_DATE = "2026-11-01";

const BARE_WORKER = `export default { fetch() { return new Response("ok"); } };`;

/** Loads a fresh bare dynamic worker, calls it once and returns its body and the time taken. */
async function callBareWorker(loader: WorkerLoader): Promise<{ body: string; elapsedMs: number }> {
  const started = performance.now();
  const worker = loader.load({
    compatibilityDate: COMPATIBILITY_DATE,
    mainModule: "floor.js",
    modules: { "floor.js": BARE_WORKER },
    globalOutbound: null,
  });
  const response = await worker.getEntrypoint().fetch("http://floor.invalid/");
  const body = await response.text();
  return { body, elapsedMs: performance.now() - started };
}

/**
 * Calls a bare dynamic worker that LOADER.get() caches under one name, so every call after the
 * first reuses the loaded worker. Steps never do this (each gets a fresh worker); the figure
 * shows what that isolation costs.
 */
async function callCachedWorker(loader: WorkerLoader): Promise<{ body: string; elapsedMs: number }> {
  const started = performance.now();
  const worker = loader.get("bench-floor-cached", () => ({
    compatibilityDate: COMPATIBILITY_DATE,
    mainModule: "floor.js",
    modules: { "floor.js": BARE_WORKER },
    globalOutbound: null,
  }));
  const response = await worker.getEntrypoint().fetch("http://floor.invalid/");
  const body = await response.text();
  return { body, elapsedMs: performance.now() - started };
}

function floorResponse(result: { body: string; elapsedMs: number }): Response {
  if (result.body !== "ok") {
    return new Response(`The bare dynamic worker returned ${JSON.stringify(result.body)} instead of "ok".`, {
      status: 500,
    });
  }

  // Server-Timing carries the in-Worker time, so the harness can split it from the HTTP hop.
  return new Response("ok", { headers: { "server-timing": `load;dur=${result.elapsedMs.toFixed(3)}` } });
}

/** A Durable Object that only runs the floor, to measure the RPC hop into an object. */
export class BenchFloor extends DurableObject<BenchEnv> {
  async floor(): Promise<{ body: string; elapsedMs: number }> {
    return callBareWorker(this.env.LOADER);
  }
}

export default {
  async fetch(request, env, ctx) {
    const { pathname } = new URL(request.url);

    if (pathname === "/bench/floor") return floorResponse(await callBareWorker(env.LOADER));

    if (pathname === "/bench/floor-cached") return floorResponse(await callCachedWorker(env.LOADER));

    if (pathname === "/bench/floor-via-do") {
      const stub = env.BENCH_FLOOR.get(env.BENCH_FLOOR.idFromName("floor"));
      return floorResponse(await stub.floor());
    }

    if (pathname === "/bench/step-sandbox") return stepSandbox(env, ctx);

    if (pathname === "/bench/d1") return d1Statements(env, new URL(request.url));

    if (pathname.startsWith("/bench/")) return new Response("Unknown bench route.", { status: 404 });

    return production.fetch(request, env, ctx);
  },
} satisfies ExportedHandler<BenchEnv>;
