// Throughput: completed runs per second with 1, 8 and 32 clients running at once. Each client
// sends runs back to back (the next when the last returned), spread over several packages,
// because one package's executor runs its executions one at a time.
import { performance } from "node:perf_hooks";
import { EXAMPLE_SCRIPT, EXAMPLE_SECRETS_JSON } from "../lib/scripts.mjs";
import { round, summarize } from "../lib/stats.mjs";
import { withServerCpu } from "../lib/cpu.mjs";

/** Returns how many runs each client sends: at least one, and together at least `totalRuns`. */
function runsPerClient(clients, totalRuns) {
  return Math.max(1, Math.ceil(totalRuns / clients));
}

async function clientLoop(api, packageIds, clientIndex, runs, outcomes) {
  const packageId = packageIds[clientIndex % packageIds.length];
  for (let i = 0; i < runs; i += 1) {
    const started = performance.now();
    try {
      const execution = await api.runAndWait(packageId);
      outcomes.push({ ok: execution.status === "completed", status: execution.status, ms: performance.now() - started });
    } catch (error) {
      outcomes.push({ ok: false, status: `error: ${error.message}`, ms: performance.now() - started });
    }
  }
}

async function runLevel(api, serverCpu, packageIds, clients, totalRuns) {
  const runs = runsPerClient(clients, totalRuns);
  const outcomes = [];
  const started = performance.now();
  const harnessCpuBefore = process.cpuUsage();
  const { cpuPerRun } = await withServerCpu(serverCpu, runs * clients, () =>
    Promise.all(Array.from({ length: clients }, (_, index) => clientLoop(api, packageIds, index, runs, outcomes))),
  );
  const wallSeconds = (performance.now() - started) / 1000;
  const harnessCpu = process.cpuUsage(harnessCpuBefore);

  const completed = outcomes.filter((outcome) => outcome.ok);
  const failures = outcomes.filter((outcome) => !outcome.ok).map((outcome) => outcome.status);
  return {
    clients,
    packages: Math.min(clients, packageIds.length),
    runs: outcomes.length,
    completed: completed.length,
    completed_fraction: round(completed.length / outcomes.length, 4),
    wall_seconds: round(wallSeconds),
    runs_per_second: round(completed.length / wallSeconds, 2),
    latency: summarize(outcomes.map((outcome) => outcome.ms)),
    server_cpu_ms_per_run: cpuPerRun,
    harness_cpu_ms_per_run: round((harnessCpu.user + harnessCpu.system) / 1000 / outcomes.length, 2),
    first_failures: [...new Set(failures)].slice(0, 5),
  };
}

export async function runThroughput({ api, plan, projectId, serverCpu }) {
  const { levels, packages: packageCount, totalRuns } = plan.throughput;
  const packageIds = [];
  for (let i = 0; i < packageCount; i += 1) {
    const created = await api.uploadPackage(projectId, {
      name: `bench-throughput-${String(i).padStart(2, "0")}`,
      scripts: [EXAMPLE_SCRIPT],
      secrets: EXAMPLE_SECRETS_JSON,
    });
    packageIds.push(created.id);
  }

  // One untimed run per package starts each package's executor before any level is timed.
  await Promise.all(packageIds.map((packageId) => api.runAndWait(packageId)));

  const results = [];
  for (const clients of levels) results.push(await runLevel(api, serverCpu, packageIds, clients, totalRuns[clients] ?? clients));
  return { script: EXAMPLE_SCRIPT.fileName, levels: results };
}
