// The parts of a run's time: a trivial step in the executor's real sandbox, to compare with
// the bare floor, the latency of one D1 statement sent as the executor sends them, and the
// API's own cost per request.
import { measure, round, summarize } from "../lib/stats.mjs";

function serverTiming(headers, name) {
  const match = new RegExp(`${name};dur=([\\d.]+)`).exec(headers.get("server-timing") ?? "");
  return match ? Number(match[1]) : null;
}

async function measureRoute(baseUrl, path, plan, timingName, headers = {}) {
  const { samples, results } = await measure(async () => {
    const response = await fetch(`${baseUrl}${path}`, { headers });
    const body = await response.text();
    if (response.status !== 200) throw new Error(`GET ${path} returned ${response.status}: ${body.slice(0, 300)}`);
    return serverTiming(response.headers, timingName);
  }, plan);
  const inWorker = results.filter((value) => value !== null);
  return { ...summarize(samples), in_worker: inWorker.length ? summarize(inWorker) : null };
}

/** D1 statements per GET /bench/d1 request, so that whole-millisecond clocks still resolve one. */
const D1_STATEMENTS_PER_REQUEST = 20;

export async function runBreakdown({ api, baseUrl, plan }) {
  const stepSandbox = await measureRoute(baseUrl, "/bench/step-sandbox", plan.floor, "total");
  const d1 = await measureRoute(baseUrl, `/bench/d1?count=${D1_STATEMENTS_PER_REQUEST}`, plan.breakdown, "statement");

  // The API's fixed cost per request: no authentication against authentication and one read.
  const health = await measureRoute(baseUrl, "/api/health", plan.floor, "total");
  const authenticated = await measureRoute(baseUrl, "/api/projects", plan.floor, "total", {
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
