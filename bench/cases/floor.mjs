// The floor: a bare dynamic worker that returns "ok", loaded and called through the same
// Worker Loader in the same workerd process, timed by the client like every API call.
import { withServerCpu } from "../lib/cpu.mjs";
import { measure, summarize } from "../lib/stats.mjs";

function serverTimingMs(headers) {
  const match = /load;dur=([\d.]+)/.exec(headers.get("server-timing") ?? "");
  return match ? Number(match[1]) : null;
}

async function measureRoute(baseUrl, serverCpu, path, plan) {
  const runs = plan.warmup + plan.repetitions;
  const { result: timing, cpuPerRun } = await withServerCpu(serverCpu, runs, () => measure(async () => {
    const response = await fetch(`${baseUrl}${path}`);
    const body = await response.text();
    if (response.status !== 200 || body !== "ok") {
      throw new Error(`GET ${path} returned ${response.status} ${JSON.stringify(body.slice(0, 200))} instead of 200 "ok".`);
    }
    return serverTimingMs(response.headers);
  }, plan));
  const { samples, results } = timing;

  const inWorker = results.filter((value) => value !== null);
  return { ...summarize(samples), in_worker: inWorker.length ? summarize(inWorker) : null, server_cpu_ms_per_request: cpuPerRun };
}

export async function runFloor({ baseUrl, plan, serverCpu }) {
  return {
    floor: await measureRoute(baseUrl, serverCpu, "/bench/floor", plan.floor),
    floor_via_durable_object: await measureRoute(baseUrl, serverCpu, "/bench/floor-via-do", plan.floor),
    floor_cached: await measureRoute(baseUrl, serverCpu, "/bench/floor-cached", plan.floor),
  };
}
