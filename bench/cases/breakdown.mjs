// Where a step's time goes: the executor's real sandbox modules against the bare floor, and
// the latency of one D1 statement as the executor issues them (one round trip each).
import { measure, round, summarize } from "../lib/stats.mjs";

function serverTiming(headers, name) {
  const match = new RegExp(`${name};dur=([\\d.]+)`).exec(headers.get("server-timing") ?? "");
  return match ? Number(match[1]) : null;
}

async function measureRoute(baseUrl, path, plan, timingName) {
  const { samples, results } = await measure(async () => {
    const response = await fetch(`${baseUrl}${path}`);
    const body = await response.text();
    if (response.status !== 200) throw new Error(`GET ${path} returned ${response.status}: ${body.slice(0, 300)}`);
    return serverTiming(response.headers, timingName);
  }, plan);
  const inWorker = results.filter((value) => value !== null);
  return { ...summarize(samples), in_worker: inWorker.length ? summarize(inWorker) : null };
}

/** D1 statements per GET /bench/d1 request, so that whole-millisecond clocks still resolve one. */
const D1_STATEMENTS_PER_REQUEST = 20;

export async function runBreakdown({ baseUrl, plan }) {
  const stepSandbox = await measureRoute(baseUrl, "/bench/step-sandbox", plan.floor, "total");
  const d1 = await measureRoute(baseUrl, `/bench/d1?count=${D1_STATEMENTS_PER_REQUEST}`, plan.breakdown, "statement");
  return {
    step_sandbox: stepSandbox,
    d1_statement_ms: d1.in_worker ? round(d1.in_worker.median_ms) : null,
    d1_request: { statements: D1_STATEMENTS_PER_REQUEST, ...d1 },
  };
}
