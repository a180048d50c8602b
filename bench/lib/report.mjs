// Turns the cases' figures into the target lines and the table printed on stdout.
import { round } from "./stats.mjs";

function ratioLine(name, value, comparison, limit, detail) {
  let met = null;
  if (value !== null && value !== undefined && !Number.isNaN(value)) {
    met = comparison === "<=" ? value <= limit : value >= limit;
  }
  return { name, value: Number.isFinite(value) ? round(value) : value, comparison, limit, met, detail };
}

/** Computes every target line from the figures. A line whose inputs are missing has met null. */
export function targetLines(figures) {
  const floor = figures.floor?.floor?.median_ms ?? null;
  const example = figures.example?.median_ms ?? null;
  const overhead = figures.steps?.per_step_overhead_ms ?? null;
  const classicStep = figures.classic?.trivial_step?.median_ms ?? null;
  const queriesOne = figures.secrets?.one_secret?.d1_queries ?? null;
  const queriesHundred = figures.secrets?.hundred_secrets?.d1_queries ?? null;
  const uploadRatio = figures.uploads?.ratio ?? null;
  const levels = figures.throughput?.levels ?? [];
  const completedFraction = levels.length > 0 ? Math.min(...levels.map((level) => level.completed_fraction)) : null;

  const divide = (a, b) => (a === null || b === null || b === 0 ? null : a / b);
  // A per-step overhead at or below zero is within the noise of the two medians.
  const classicRatio = classicStep !== null && overhead !== null && overhead <= 0 ? Infinity : divide(classicStep, overhead);

  return [
    ratioLine("example run median / floor median", divide(example, floor), "<=", 2.0, `${example} ms / ${floor} ms`),
    ratioLine("per-step overhead / floor median", divide(overhead, floor), "<=", 1.0, `${overhead} ms / ${floor} ms`),
    ratioLine("classic per step / our per-step overhead", classicRatio, ">=", 10, `${classicStep} ms / ${overhead} ms`),
    ratioLine(
      "D1 queries (100-secret run) - D1 queries (1-secret run)",
      queriesOne === null || queriesHundred === null ? null : queriesHundred - queriesOne,
      "<=",
      2,
      `${queriesHundred} vs ${queriesOne}`,
    ),
    ratioLine(
      "throughput runs that ended completed (lowest level)",
      completedFraction,
      ">=",
      1.0,
      figures.throughput ? figures.throughput.levels.map((level) => `${level.completed}/${level.runs} at ${level.clients}`).join(", ") : "not measured",
    ),
    ratioLine("1,000-key upload / 10-key upload", uploadRatio, "<=", 25, `${figures.uploads?.keys_1000?.median_ms ?? null} ms / ${figures.uploads?.keys_10?.median_ms ?? null} ms`),
  ];
}

/** Returns the workerd CPU milliseconds per run or request that a case recorded, or null. */
export function workerdCpu(summary) {
  const cpu = summary?.server_cpu_ms_per_run ?? summary?.server_cpu_ms_per_request;
  return cpu?.workerd ?? null;
}

function row(name, summary, note = "") {
  if (!summary) return [name, "-", "-", "-", "-", "not measured"];
  const cpu = workerdCpu(summary);
  return [name, fmt(summary.median_ms), fmt(summary.p95_ms), String(summary.count), cpu === null ? "-" : cpu.toFixed(1), note];
}

function inWorkerNote(summary) {
  const inWorker = summary?.in_worker?.median_ms;
  return inWorker === undefined || inWorker === null ? "" : `load and call ${inWorker.toFixed(2)} ms in the Worker`;
}

function fmt(value) {
  return value === null || value === undefined ? "-" : value.toFixed(2);
}

function renderTable(header, rows) {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((cells) => cells[column].length)));
  const line = (cells) => cells.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]) : cell.padStart(widths[column]))).join("  ");
  return [line(header), widths.map((width) => "-".repeat(width)).join("  "), ...rows.map(line)].join("\n");
}

/** Renders the figures table, the throughput table and the target lines as text. */
export function renderReport(report) {
  const { figures } = report;
  const out = [];
  const { machine } = report;
  out.push(`Ferris Edge benchmark (${report.mode}), ${machine.cpu_model} x ${machine.cores} cores, Node ${machine.node}`);
  out.push(`load average (1 min) ${machine.load_average_before[0]} before, ${machine.load_average_after[0]} after`);
  out.push("");

  const rows = [
    row("floor: bare dynamic worker", figures.floor?.floor, inWorkerNote(figures.floor?.floor)),
    row("floor through a Durable Object", figures.floor?.floor_via_durable_object, inWorkerNote(figures.floor?.floor_via_durable_object)),
    row("floor, reused worker (LOADER.get)", figures.floor?.floor_cached, inWorkerNote(figures.floor?.floor_cached)),
    row("trivial step in the real sandbox", figures.breakdown?.step_sandbox, "no executor, no D1"),
    row("GET /api/health", figures.breakdown?.api_health, "no authentication"),
    row("GET /api/projects", figures.breakdown?.api_authenticated_list, "authentication and one read"),
    row("example run (wait=1)", figures.example, figures.example ? `d1_queries ${figures.example.d1_queries}` : ""),
    row("1-step trivial run", figures.steps?.one_step),
    row("10-step trivial run", figures.steps?.ten_steps, figures.steps ? `overhead ${fmt(figures.steps.per_step_overhead_ms)} ms/step` : ""),
    row("run reading 1 secret", figures.secrets?.one_secret, figures.secrets ? `d1_queries ${figures.secrets.one_secret.d1_queries}` : ""),
    row(
      "run reading 100 secrets",
      figures.secrets?.hundred_secrets,
      figures.secrets ? `d1_queries ${figures.secrets.hundred_secrets.d1_queries}, ${fmt(figures.secrets.per_lookup_ms)} ms/lookup` : "",
    ),
    row("PUT secrets.json, 10 keys", figures.uploads?.keys_10),
    row("PUT secrets.json, 1,000 keys", figures.uploads?.keys_1000),
    row("classic: example step process", figures.classic?.example_step),
    row("classic: trivial step process", figures.classic?.trivial_step),
  ];
  out.push(renderTable(["figure", "median ms", "p95 ms", "n", "workerd CPU ms", "note"], rows));
  const server = figures.example?.server;
  if (server) {
    out.push(
      `example run, medians from the execution's timestamps (whole ms): ${fmt(server.outside_execution_median_ms)} ms outside the execution ` +
        `(HTTP, auth, package lookup, reading the result), ${fmt(server.queued_median_ms)} ms queued, ${fmt(server.running_median_ms)} ms running, ` +
        `of which ${fmt(server.steps_median_ms)} ms in the step`,
    );
  }
  if (figures.breakdown?.d1_statement_ms !== undefined) {
    out.push(`one D1 statement, in the Worker: ${fmt(figures.breakdown.d1_statement_ms)} ms (median of ${figures.breakdown.d1_request.count} requests of ${figures.breakdown.d1_request.statements})`);
  }

  if (figures.throughput) {
    out.push("");
    const levels = figures.throughput.levels.map((level) => [
      String(level.clients),
      String(level.packages),
      String(level.runs),
      level.runs_per_second.toFixed(2),
      `${(level.completed_fraction * 100).toFixed(1)}%`,
      fmt(level.latency.median_ms),
      fmt(level.latency.p95_ms),
      level.server_cpu_ms_per_run?.workerd?.toFixed(1) ?? "-",
    ]);
    out.push(renderTable(["clients", "packages", "runs", "runs/s", "completed", "median ms", "p95 ms", "workerd CPU ms/run"], levels));
  }

  out.push("");
  for (const target of report.targets) {
    let verdict = "not measured";
    if (target.met !== null) verdict = target.met ? "met" : "missed";
    const value = target.value === Infinity ? "inf" : target.value;
    out.push(`${verdict.padEnd(12)} ${target.name} = ${value} (target ${target.comparison} ${target.limit}; ${target.detail})`);
  }
  for (const error of report.errors) out.push(`error        ${error.case}: ${error.message}`);
  return out.join("\n");
}
