// The parts of a run's time: a trivial step in the executor's real sandbox, to compare with
// the bare floor, the latency of one D1 statement sent as the executor sends them, and the
// API's own cost per request.
import { withServerCpu } from "../lib/cpu.mjs";
import { measure, round, summarize } from "../lib/stats.mjs";

function serverTiming(headers, name) {
  const match = new RegExp(`${name};dur=([\\d.]+)`).exec(headers.get("server-timing") ?? "");
  return match ? Number(match[1]) : null;
}

async function measureRoute(baseUrl, serverCpu, path, plan, timingName, headers = {}) {
  const runs = plan.warmup + plan.repetitions;
  const { result: timing, cpuPerRun } = await withServerCpu(serverCpu, runs, () => measure(async () => {
    const response = await fetch(`${baseUrl}${path}`, { headers });
    const body = await response.text();
    if (response.status !== 200) throw new Error(`GET ${path} returned ${response.status}: ${body.slice(0, 300)}`);
    return serverTiming(response.headers, timingName);
  }, plan));
  const { samples, results } = timing;
  const inWorker = results.filter((value) => value !== null);
  return { ...summarize(samples), in_worker: inWorker.length ? summarize(inWorker) : null, server_cpu_ms_per_request: cpuPerRun };
}

/** D1 statements per GET /bench/d1 request, so that whole-millisecond clocks still resolve one. */
const D1_STATEMENTS_PER_REQUEST = 20;

export async function runBreakdown({ api, baseUrl, plan, serverCpu }) {
  const stepSandbox = await measureRoute(baseUrl, serverCpu, "/bench/step-sandbox", plan.floor, "total");
  const d1 = await measureRoute(baseUrl, serverCpu, `/bench/d1?count=${D1_STATEMENTS_PER_REQUEST}`, plan.breakdown, "statement");

  // The API's fixed cost per request: no authentication against authentication and one read.
  const health = await measureRoute(baseUrl, serverCpu, "/api/health", plan.floor, "total");
  const authenticated = await measureRoute(baseUrl, serverCpu, "/api/projects", plan.floor, "total", {
    authorization: `Bearer ${api.adminToken}`,
  });
  return {
    api_health: health,
    api_authenticated_list: authenticated,
    step_sandbox: stepSandbox,
    d1_statement_ms: d1.in_worker ? round(d1.in_worker.median_ms) : null,
    d1_request: { statements: D1_STATEMENTS_PER_REQUEST, ...d1 },
  };
}
