// Secret lookups: one step that reads 100 secrets spread over the three scopes against one
// that reads a single secret. Both packages sit in the same project with the same stored
// secrets, so the only difference between their runs is how many values the script reads.
import { readSecretsScript, secretSet } from "../lib/scripts.mjs";
import { measure, round, summarize } from "../lib/stats.mjs";
import { withServerCpu } from "../lib/cpu.mjs";
import { assertCompleted, executionTimings, summarizeTimings } from "./runs.mjs";

/** The count of secrets at each scope, 100 in all. */
const SPREAD = { package: 34, project: 33, platform: 33 };

function distinct(values) {
  return [...new Set(values)].sort((a, b) => a - b);
}

async function measureReads(api, serverCpu, packageId, runLabel, plan) {
  const runs = plan.warmup + plan.repetitions;
  const { result: timing, cpuPerRun } = await withServerCpu(serverCpu, runs, () =>
    measure(async () => {
      const execution = await api.runAndWait(packageId);
      assertCompleted(execution, runLabel);
      return execution;
    }, plan),
  );
  const { samples, results } = timing;
  const queries = results.map((execution) => execution.d1_queries);
  return {
    ...summarize(samples),
    d1_queries: queries[0] ?? null,
    d1_queries_seen: distinct(queries.filter((value) => typeof value === "number")),
    server: summarizeTimings(results.map(executionTimings)),
    server_cpu_ms_per_run: cpuPerRun,
  };
}

export async function runSecrets({ api, plan, serverCpu }) {
  const project = await api.createProject("bench-secrets");
  const packageSecrets = secretSet("BENCH_PKG", SPREAD.package);
  const projectSecrets = secretSet("BENCH_PRJ", SPREAD.project);
  const platformSecrets = secretSet("BENCH_PLT", SPREAD.platform);
  await api.putProjectSecrets(project.id, JSON.stringify(projectSecrets));
  await api.putPlatformSecrets(JSON.stringify(platformSecrets));

  const all = { ...packageSecrets, ...projectSecrets, ...platformSecrets };
  const [firstName] = Object.keys(packageSecrets);
  const oneSecret = { [firstName]: packageSecrets[firstName] };

  const readOne = await api.uploadPackage(project.id, {
    name: "bench-read-1",
    scripts: [readSecretsScript("read_one.js", oneSecret)],
    secrets: JSON.stringify(packageSecrets),
  });
  const readHundred = await api.uploadPackage(project.id, {
    name: "bench-read-100",
    scripts: [readSecretsScript("read_hundred.js", all)],
    secrets: JSON.stringify(packageSecrets),
  });

  const oneSecretRun = await measureReads(api, serverCpu, readOne.id, "1-secret run", plan.secrets);
  const hundredSecretRun = await measureReads(api, serverCpu, readHundred.id, "100-secret run", plan.secrets);
  return {
    spread: SPREAD,
    one_secret: oneSecretRun,
    hundred_secrets: hundredSecretRun,
    // Each get_secret is one call from the sandbox through the bridge to the executor.
    per_lookup_ms: round((hundredSecretRun.median_ms - oneSecretRun.median_ms) / 99),
  };
}
