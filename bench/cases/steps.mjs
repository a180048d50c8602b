// Per-step overhead: a 10-step package against a 1-step package, both of trivial steps.
// The two are run alternately so that drift in the machine's load hits both alike. The
// overhead is (t10 - t1) / 9 on the medians.
import { performance } from "node:perf_hooks";
import { trivialScript } from "../lib/scripts.mjs";
import { median, round, summarize } from "../lib/stats.mjs";
import { addCpu, perRun } from "../lib/cpu.mjs";
import { assertCompleted, executionTimings, summarizeTimings } from "./runs.mjs";

const MANY_STEPS = 10;

async function timedRun(api, packageId, runLabel) {
  const started = performance.now();
  const execution = await api.runAndWait(packageId);
  const elapsed = performance.now() - started;
  assertCompleted(execution, runLabel);
  if ((execution.steps?.length ?? 0) > 0 && execution.steps.some((step) => step.status !== "completed")) {
    throw new Error(`The ${runLabel} finished with a step that did not complete, execution ${execution.id}.`);
  }
  return { elapsed, execution };
}

export async function runSteps({ api, plan, projectId, serverCpu }) {
  const single = await api.uploadPackage(projectId, { name: "bench-steps-1", scripts: [trivialScript(1)] });
  const scripts = Array.from({ length: MANY_STEPS }, (_, index) => trivialScript(index + 1));
  const many = await api.uploadPackage(projectId, { name: "bench-steps-10", scripts });

  for (let i = 0; i < plan.steps.warmup; i += 1) {
    await timedRun(api, single.id, "1-step run");
    await timedRun(api, many.id, "10-step run");
  }

  const singleSamples = [];
  const manySamples = [];
  const singleExecutions = [];
  const manyExecutions = [];
  let singleCpu = {};
  let manyCpu = {};
  for (let i = 0; i < plan.steps.repetitions; i += 1) {
    let before = serverCpu();
    const singleRun = await timedRun(api, single.id, "1-step run");
    singleCpu = addCpu(singleCpu, before, serverCpu());
    singleSamples.push(singleRun.elapsed);
    singleExecutions.push(singleRun.execution);

    before = serverCpu();
    const manyRun = await timedRun(api, many.id, "10-step run");
    manyCpu = addCpu(manyCpu, before, serverCpu());
    manySamples.push(manyRun.elapsed);
    manyExecutions.push(manyRun.execution);
  }

  const stepCount = manyExecutions[0]?.steps?.length;
  if (stepCount !== undefined && stepCount !== MANY_STEPS) {
    throw new Error(`The 10-step package ran ${stepCount} steps.`);
  }

  const overhead = (median(manySamples) - median(singleSamples)) / (MANY_STEPS - 1);
  return {
    one_step: {
      ...summarize(singleSamples),
      server: summarizeTimings(singleExecutions.map(executionTimings)),
      server_cpu_ms_per_run: perRun(singleCpu, plan.steps.repetitions),
    },
    ten_steps: {
      ...summarize(manySamples),
      server: summarizeTimings(manyExecutions.map(executionTimings)),
      server_cpu_ms_per_run: perRun(manyCpu, plan.steps.repetitions),
    },
    per_step_overhead_ms: round(overhead),
  };
}
