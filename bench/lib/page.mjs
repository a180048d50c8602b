// Writes the latest figures into the guide's Benchmarks page, between two marker comments,
// so that the page always shows the numbers of one recorded run.
import { readFileSync, writeFileSync } from "node:fs";
import { workerdCpu } from "./report.mjs";

const START_MARKER = "<!-- bench:figures:start -->";
const END_MARKER = "<!-- bench:figures:end -->";

function ms(value) {
  return value === null || value === undefined ? "–" : `${value.toFixed(2)} ms`;
}

function figureRow(label, summary, note = "") {
  if (!summary) return `| ${label} | – | – | – | – | not measured |`;
  const cpu = workerdCpu(summary);
  return `| ${label} | ${ms(summary.median_ms)} | ${ms(summary.p95_ms)} | ${summary.count} | ${cpu === null ? "–" : ms(cpu)} | ${note} |`;
}

function targetRow(target) {
  let verdict = "not measured";
  if (target.met !== null) verdict = target.met ? "met" : "missed";
  const value = target.value === Infinity || target.value === "Infinity" ? "∞" : target.value;
  return `| ${target.name} | ${value} | ${target.comparison} ${target.limit} | ${verdict} |`;
}

/** Renders the figures of one report as Markdown: machine, timings, throughput and targets. */
export function renderFigures(report) {
  const { figures, machine } = report;
  const lines = [];
  lines.push(
    `Recorded ${report.generated_at.slice(0, 10)} with \`npm run bench\` (${report.mode} plan, commit ` +
      `\`${report.git_commit ?? "unknown"}\`${report.git_uncommitted_changes ? " with uncommitted changes" : ""}) on ${machine.cpu_model}, ${machine.cores} cores, ` +
      `${Math.round(machine.total_memory_bytes / 2 ** 30)} GiB, ${machine.platform}, Node.js ${machine.node}, ` +
      `wrangler ${machine.wrangler ?? "unknown"} (local workerd). The 1-minute load average was ` +
      `${machine.load_average_before?.[0] ?? "unknown"} before the run and ${machine.load_average_after?.[0] ?? "unknown"} after it.`,
  );
  lines.push("");
  lines.push("| Figure | Median | p95 | Runs | workerd CPU per run | Note |");
  lines.push("| --- | ---: | ---: | ---: | ---: | --- |");
  lines.push(figureRow("Floor: bare dynamic worker", figures.floor?.floor));
  lines.push(figureRow("Floor through a Durable Object", figures.floor?.floor_via_durable_object));
  lines.push(figureRow("Floor, one reused worker (`LOADER.get`)", figures.floor?.floor_cached, "steps never reuse a worker"));
  lines.push(figureRow("Trivial step in the real sandbox", figures.breakdown?.step_sandbox, "no executor, no D1"));
  lines.push(figureRow("`GET /api/health`", figures.breakdown?.api_health, "no authentication"));
  lines.push(figureRow("`GET /api/projects`", figures.breakdown?.api_authenticated_list, "authentication and one read"));
  lines.push(figureRow("Example run (`wait=1`)", figures.example, `${figures.example?.d1_queries ?? "–"} D1 queries`));
  lines.push(figureRow("1-step trivial run", figures.steps?.one_step));
  lines.push(
    figureRow("10-step trivial run", figures.steps?.ten_steps, `${ms(figures.steps?.per_step_overhead_ms)} per extra step`),
  );
  lines.push(figureRow("Run reading 1 secret", figures.secrets?.one_secret, `${figures.secrets?.one_secret?.d1_queries ?? "–"} D1 queries`));
  lines.push(
    figureRow(
      "Run reading 100 secrets",
      figures.secrets?.hundred_secrets,
      `${figures.secrets?.hundred_secrets?.d1_queries ?? "–"} D1 queries, ${ms(figures.secrets?.per_lookup_ms)} per lookup`,
    ),
  );
  lines.push(figureRow("PUT secrets.json, 10 keys", figures.uploads?.keys_10));
  lines.push(figureRow("PUT secrets.json, 1,000 keys", figures.uploads?.keys_1000));
  lines.push(figureRow("Classic: example step, one process", figures.classic?.example_step));
  lines.push(figureRow("Classic: trivial step, one process", figures.classic?.trivial_step));
  if (figures.breakdown?.d1_statement_ms !== undefined) {
    lines.push("");
    lines.push(`One D1 statement from the Worker took ${ms(figures.breakdown.d1_statement_ms)} (median, local SQLite).`);
  }

  if (figures.throughput) {
    lines.push("");
    lines.push("| Clients | Packages | Runs | Runs per second | Completed | Median latency | p95 latency | workerd CPU per run |");
    lines.push("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    for (const level of figures.throughput.levels) {
      lines.push(
        `| ${level.clients} | ${level.packages} | ${level.runs} | ${level.runs_per_second.toFixed(2)} | ` +
          `${(level.completed_fraction * 100).toFixed(1)}% | ${ms(level.latency.median_ms)} | ${ms(level.latency.p95_ms)} | ` +
          `${ms(level.server_cpu_ms_per_run?.workerd)} |`,
      );
    }
  }

  lines.push("");
  lines.push("| Target | Value | Goal | Result |");
  lines.push("| --- | ---: | ---: | --- |");
  for (const target of report.targets) lines.push(targetRow(target));
  return lines.join("\n");
}

/** Replaces the text between the page's markers with the report's figures. */
export function updatePage(pagePath, report) {
  const page = readFileSync(pagePath, "utf8");
  const start = page.indexOf(START_MARKER);
  const end = page.indexOf(END_MARKER);
  if (start === -1 || end === -1 || end < start) {
    throw new Error(`${pagePath} lacks the ${START_MARKER} and ${END_MARKER} lines: add them where the figures go.`);
  }
  const updated = `${page.slice(0, start + START_MARKER.length)}\n\n${renderFigures(report)}\n\n${page.slice(end)}`;
  writeFileSync(pagePath, updated);
}
