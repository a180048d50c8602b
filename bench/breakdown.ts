/**
 * Bench-only routes that time the parts of a step on their own, so that the gap between the
 * floor and a real run can be split into the sandbox's modules, D1 statements and RPC hops.
 * Only floor-worker.ts imports this file.
 */
import { MAX_STEP_OUTPUT_BYTES } from "../worker/limits";
import { instrumentScript } from "../worker/sandbox/instrument";
import { RUNNER_MODULE, sandboxModules } from "../worker/sandbox/modules";
import { SANDBOX_COMPATIBILITY_DATE } from "../worker/executor/step";
import { Db } from "../worker/db";

const TRIVIAL_SCRIPT = { fileName: "step_01.js", source: "export default async function main() {\n  return 1;\n}\n" };

/** The most D1 statements that one GET /bench/d1 may run. */
const MAX_D1_STATEMENTS = 200;

interface RunnerEntrypoint {
  run(input: unknown): Promise<{ timedOut: boolean; error: unknown; output: unknown[] }>;
}

function timed(startedMs: number, extra: Record<string, number> = {}): Response {
  const entries = [`total;dur=${(performance.now() - startedMs).toFixed(3)}`];
  for (const [name, value] of Object.entries(extra)) entries.push(`${name};dur=${value.toFixed(3)}`);
  return new Response("ok", { headers: { "server-timing": entries.join(", ") } });
}

/**
 * GET /bench/step-sandbox: a trivial step through the executor's own sandbox, as runStep
 * builds it (instrumented script, runner, prelude, guard, SDK), but with no executor, no D1
 * and no capability (the trivial script makes no `ferris_ef` call). The difference to /bench/floor is the cost of the sandbox's modules.
 */
export async function stepSandbox(env: { LOADER: WorkerLoader }, ctx: ExecutionContext): Promise<Response> {
  const started = performance.now();
  const instrumented = instrumentScript(TRIVIAL_SCRIPT.fileName, TRIVIAL_SCRIPT.source);
  if (!instrumented.ok) return new Response(`Instrumenting the trivial step failed: ${instrumented.error.message}`, { status: 500 });
  const instrumentedAt = performance.now();

  const worker = env.LOADER.load({
    compatibilityDate: SANDBOX_COMPATIBILITY_DATE,
    mainModule: RUNNER_MODULE,
    modules: sandboxModules({
      fileName: TRIVIAL_SCRIPT.fileName,
      instrumentedSource: instrumented.source,
      timeoutMs: 30_000,
      allowedHosts: [],
      maxOutputBytes: MAX_STEP_OUTPUT_BYTES,
    }),
    globalOutbound: null,
  });

  const entrypoint = worker.getEntrypoint() as unknown as RunnerEntrypoint;
  const result = await entrypoint.run({ params: {}, config: {}, package: { id: "pkg_bench", name: "bench" }, executionId: "exe_bench" });
  if (result.timedOut || result.error !== null) {
    return new Response(`The trivial step failed in the sandbox: ${JSON.stringify(result.error)}`, { status: 500 });
  }
  return timed(started, { instrument: instrumentedAt - started });
}

/**
 * GET /bench/d1?count=N: N UPDATE statements one after another, each as the executor sends
 * its step updates (one round trip each), on a row id that does not exist, so nothing changes.
 */
export async function d1Statements(env: { DB: D1Database }, url: URL): Promise<Response> {
  const count = Number(url.searchParams.get("count") ?? "10");
  if (!Number.isInteger(count) || count < 1 || count > MAX_D1_STATEMENTS) {
    return new Response(`count must be an integer from 1 to ${MAX_D1_STATEMENTS}.`, { status: 400 });
  }

  const db = new Db(env.DB);
  const started = performance.now();
  for (let i = 0; i < count; i += 1) {
    await db.run("UPDATE steps SET status = status WHERE execution_id = ? AND position = ? AND workspace_id = ?", "exe_none", i, "ws_none");
  }
  return timed(started, { statement: (performance.now() - started) / count });
}
