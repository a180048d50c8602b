#!/usr/bin/env node
// Measures the run path of Ferris Edge against the Worker Loader floor and a classic
// one-process-per-step executor (`npm run bench`). Prints a table and writes the figures to
// bench/results/latest.json.
//
//   node bench/run.mjs [--quick] [--port N] [--only CASE,CASE] [--output FILE] [--keep-state] [--update-page]
//
// --quick    a reduced run (fewer repetitions), under a minute on two cores
// --port N   the Worker's port on 127.0.0.1 (default 8850); the inspector takes N + 1
// --only     run only the named cases: floor, breakdown, example, steps, throughput, uploads, secrets, classic
// --output   where to write the JSON results (default bench/results/latest.json)
// --keep-state  keep the temporary D1 and Durable Object state and the wrangler log
// --update-page write the figures into the guide's Benchmarks page as well
import { execFileSync } from "node:child_process";
import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import { cpus, loadavg, totalmem } from "node:os";
import { dirname, join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { runBreakdown } from "./cases/breakdown.mjs";
import { runClassic } from "./cases/classic.mjs";
import { runExample } from "./cases/example.mjs";
import { runFloor } from "./cases/floor.mjs";
import { runSecrets } from "./cases/secrets.mjs";
import { runSteps } from "./cases/steps.mjs";
import { runThroughput } from "./cases/throughput.mjs";
import { runUploads } from "./cases/uploads.mjs";
import { ApiClient } from "./lib/api.mjs";
import { processGroupCpuMs } from "./lib/cpu.mjs";
import { updatePage } from "./lib/page.mjs";
import { PLANS } from "./lib/plans.mjs";
import { renderReport, targetLines } from "./lib/report.mjs";
import { startWorker, WRANGLER, wranglerEnvironment } from "./lib/server.mjs";

const benchDirectory = dirname(fileURLToPath(import.meta.url));
const guidePagePath = join(dirname(benchDirectory), "site", "src", "content", "docs", "benchmarks.md");
const ALL_CASES = ["floor", "breakdown", "example", "steps", "throughput", "uploads", "secrets", "classic"];
/** The cases that need the Worker. The classic executor runs after the Worker has stopped. */
const SERVER_CASES = new Set(ALL_CASES.filter((name) => name !== "classic"));

function parseOptions() {
  const { values } = parseArgs({
    options: {
      quick: { type: "boolean", default: false },
      port: { type: "string", default: "8850" },
      only: { type: "string" },
      output: { type: "string", default: join(benchDirectory, "results", "latest.json") },
      "keep-state": { type: "boolean", default: false },
      "update-page": { type: "boolean", default: false },
    },
  });

  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 1024 || port > 65534) {
    throw new Error(`--port must be an integer from 1024 to 65534, not ${JSON.stringify(values.port)}.`);
  }
  const cases = values.only ? values.only.split(",").map((name) => name.trim()) : ALL_CASES;
  const unknown = cases.filter((name) => !ALL_CASES.includes(name));
  if (unknown.length > 0) throw new Error(`--only names unknown cases ${unknown.join(", ")}; known: ${ALL_CASES.join(", ")}.`);
  return { quick: values.quick, port, cases, output: resolve(values.output), keepState: values["keep-state"], updatePage: values["update-page"] };
}

function commandOutput(command, args, env = process.env) {
  try {
    return execFileSync(command, args, { encoding: "utf8", env, stdio: ["ignore", "pipe", "ignore"] }).trim();
  } catch {
    return null;
  }
}

function machineDescription() {
  const processors = cpus();
  return {
    cpu_model: processors[0]?.model ?? "unknown",
    cores: processors.length,
    total_memory_bytes: totalmem(),
    platform: `${process.platform} ${process.arch}`,
    node: process.version,
    wrangler: commandOutput(WRANGLER, ["--version"], wranglerEnvironment()),
  };
}

/** Runs one case, recording its figures or its error, so one failing case spares the rest. */
async function runCase(name, operation, figures, errors) {
  const started = performance.now();
  process.stderr.write(`bench: ${name}...`);
  try {
    figures[name] = await operation();
    process.stderr.write(` done in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
  } catch (error) {
    process.stderr.write(` failed\n`);
    errors.push({ case: name, message: error instanceof Error ? error.message : String(error) });
  }
}

async function runServerCases(options, plan, figures, errors) {
  const worker = await startWorker({ port: options.port, inspectorPort: options.port + 1, keepState: options.keepState });
  process.stderr.write(`bench: Worker ready at ${worker.baseUrl}\n`);
  try {
    const api = new ApiClient(worker.baseUrl, worker.adminToken);
    const serverCpu = () => processGroupCpuMs(worker.processGroup);
    const context = { api, plan, baseUrl: worker.baseUrl, serverCpu };

    // The cases that upload packages share one project, created when the first one needs it.
    let projectId = null;
    const withProject = (operation) => async () => {
      projectId ??= (await api.createProject("bench")).id;
      return operation({ ...context, projectId });
    };

    const operations = {
      floor: () => runFloor(context),
      breakdown: () => runBreakdown(context),
      example: withProject(runExample),
      steps: withProject(runSteps),
      throughput: withProject(runThroughput),
      uploads: withProject(runUploads),
      // Last, because its platform secrets are loaded by every later run in the workspace.
      secrets: () => runSecrets(context),
    };
    for (const name of Object.keys(operations)) {
      if (options.cases.includes(name)) await runCase(name, operations[name], figures, errors);
    }
  } finally {
    await worker.stop();
    if (options.keepState) process.stderr.write(`bench: state and log kept in ${worker.stateDirectory}\n`);
  }
}

function writeResults(path, report) {
  mkdirSync(dirname(path), { recursive: true });
  const temporary = `${path}.tmp`;
  const text = JSON.stringify(report, (_key, value) => (value === Infinity ? "Infinity" : value), 2);
  writeFileSync(temporary, `${text}\n`);
  renameSync(temporary, path);
}

async function main() {
  const options = parseOptions();
  const mode = options.quick ? "quick" : "full";
  const plan = PLANS[mode];
  const started = performance.now();
  // Other processes on the machine slow every figure, so the load is recorded beside them.
  const loadBefore = loadavg().map((value) => Math.round(value * 100) / 100);
  const figures = {};
  const errors = [];

  if (options.cases.some((name) => SERVER_CASES.has(name))) {
    try {
      await runServerCases(options, plan, figures, errors);
    } catch (error) {
      errors.push({ case: "server", message: error instanceof Error ? error.message : String(error) });
    }
  }
  if (options.cases.includes("classic")) await runCase("classic", () => runClassic({ plan }), figures, errors);

  const report = {
    generated_at: new Date().toISOString(),
    mode,
    git_commit: commandOutput("git", ["-C", benchDirectory, "rev-parse", "--short", "HEAD"]),
    // The Worker is built from the working tree, so uncommitted changes are part of what ran.
    git_uncommitted_changes: (commandOutput("git", ["-C", benchDirectory, "status", "--porcelain"]) ?? "") !== "",
    machine: { ...machineDescription(), load_average_before: loadBefore, load_average_after: loadavg().map((value) => Math.round(value * 100) / 100) },
    plan,
    duration_seconds: Math.round((performance.now() - started) / 100) / 10,
    figures,
    targets: [],
    errors,
  };
  report.targets = targetLines(figures);

  writeResults(options.output, report);
  console.log(renderReport(report));
  if (options.updatePage && errors.length > 0) {
    console.log(`bench: ${guidePagePath} left as it was, because some cases failed.`);
  } else if (options.updatePage) {
    updatePage(guidePagePath, report);
    console.log(`bench: figures written to ${guidePagePath}`);
  }
  console.log(`\nbench: ${report.duration_seconds} s; results written to ${options.output}`);
  if (errors.length > 0) process.exitCode = 1;
}

main().catch((error) => {
  console.error(`bench: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
