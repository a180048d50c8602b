// The example run: test_secrets.js reading DB_NAME, DB_PASS and the package_name parameter,
// timed from POST /api/packages/{id}/executions?wait=1 to the finished execution.
import { EXAMPLE_SCRIPT, EXAMPLE_SECRETS_JSON } from "../lib/scripts.mjs";
import { measure, summarize } from "../lib/stats.mjs";
import { assertCompleted, executionTimings, outsideExecutionMedian, summarizeTimings } from "./runs.mjs";
import { withServerCpu } from "../lib/cpu.mjs";

/** Checks the first run's output: masked secrets and the real package name. */
async function checkExampleOutput(api, execution, packageName) {
  const step = await api.getStep(execution.id, 1);
  const lines = (step.output ?? []).map((line) => line.text);
  const expected = ["DB NAME: ***", "DB PASS: ***", `PACKAGE NAME: ${packageName}`];
  for (const line of expected) {
    if (!lines.some((text) => text.includes(line))) {
      throw new Error(`The example run's output lacks ${JSON.stringify(line)}: it was ${JSON.stringify(lines)}.`);
    }
  }
}

export async function runExample({ api, plan, projectId, serverCpu }) {
  const packageName = "bench-example";
  const created = await api.uploadPackage(projectId, {
    name: packageName,
    scripts: [EXAMPLE_SCRIPT],
    secrets: EXAMPLE_SECRETS_JSON,
  });

  const first = await api.runAndWait(created.id);
  assertCompleted(first, "example run");
  await checkExampleOutput(api, first, packageName);

  const runs = plan.example.warmup + plan.example.repetitions;
  const { result: timing, cpuPerRun } = await withServerCpu(serverCpu, runs, () =>
    measure(async () => {
      const execution = await api.runAndWait(created.id);
      assertCompleted(execution, "example run");
      return execution;
    }, plan.example),
  );
  const { samples, results } = timing;

  return {
    package_id: created.id,
    ...summarize(samples),
    d1_queries: results[0]?.d1_queries ?? null,
    server_cpu_ms_per_run: cpuPerRun,
    server: {
      ...summarizeTimings(results.map(executionTimings)),
      outside_execution_median_ms: outsideExecutionMedian(samples, results),
    },
  };
}
