// The classic executor: one Node.js child process per step, with the secrets in its
// environment, timed from spawn to exit. It runs the same scripts as the edge runs.
import { EXAMPLE_SCRIPT, EXAMPLE_SECRETS, trivialScript } from "../lib/scripts.mjs";
import { classicEnvironment, prepareClassicDirectory, runClassicStep, writeClassicScript } from "../lib/classic.mjs";
import { measure, summarize } from "../lib/stats.mjs";

export async function runClassic({ plan }) {
  const { directory, dispose } = prepareClassicDirectory();
  try {
    const params = { package_name: "bench-example", package_id: "pkg_classic" };
    const environment = classicEnvironment(EXAMPLE_SECRETS, params);

    const examplePath = writeClassicScript(directory, EXAMPLE_SCRIPT.fileName, EXAMPLE_SCRIPT.source);
    const example = await measure(async () => {
      const { elapsedMs, stdout } = await runClassicStep(directory, examplePath, environment);
      if (!stdout.includes(`DB NAME: ${EXAMPLE_SECRETS.DB_NAME}`)) {
        throw new Error(`The classic example step printed ${JSON.stringify(stdout)}.`);
      }
      return elapsedMs;
    }, plan.classic);

    const trivial = trivialScript(1);
    const trivialPath = writeClassicScript(directory, trivial.fileName, trivial.source);
    const step = await measure(async () => (await runClassicStep(directory, trivialPath, environment)).elapsedMs, plan.classic);

    return {
      node: process.version,
      // The spawn-to-exit times, measured inside runClassicStep, not the harness's own wrapper.
      example_step: summarize(example.results),
      trivial_step: summarize(step.results),
    };
  } finally {
    dispose();
  }
}
