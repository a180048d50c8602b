// The floor: a bare dynamic worker that returns "ok", loaded and called through the same
// Worker Loader in the same workerd process, timed by the client like every API call.
import { measure, summarize } from "../lib/stats.mjs";

function serverTimingMs(headers) {
  const match = /load;dur=([\d.]+)/.exec(headers.get("server-timing") ?? "");
  return match ? Number(match[1]) : null;
}

async function measureRoute(baseUrl, path, plan) {
  const { samples, results } = await measure(async () => {
    const response = await fetch(`${baseUrl}${path}`);
    const body = await response.text();
    if (response.status !== 200 || body !== "ok") {
      throw new Error(`GET ${path} returned ${response.status} ${JSON.stringify(body.slice(0, 200))} instead of 200 "ok".`);
    }
    return serverTimingMs(response.headers);
  }, plan);

  const inWorker = results.filter((value) => value !== null);
  return { ...summarize(samples), in_worker: inWorker.length ? summarize(inWorker) : null };
}

export async function runFloor({ baseUrl, plan }) {
  return {
    floor: await measureRoute(baseUrl, "/bench/floor", plan.floor),
    floor_via_durable_object: await measureRoute(baseUrl, "/bench/floor-via-do", plan.floor),
    floor_cached: await measureRoute(baseUrl, "/bench/floor-cached", plan.floor),
  };
}
