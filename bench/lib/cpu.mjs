// CPU time of the processes that `wrangler dev` started, read from /proc (Linux only), so the
// benchmark can tell time spent computing from time spent waiting.
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { round } from "./stats.mjs";

/** Clock ticks per second of /proc's utime and stime, as `getconf CLK_TCK` prints it. */
const TICKS_PER_SECOND = clockTicksPerSecond();

function clockTicksPerSecond() {
  try {
    const ticks = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim());
    return Number.isInteger(ticks) && ticks > 0 ? ticks : null;
  } catch {
    return null;
  }
}

function readStat(pid) {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name is in parentheses and may contain spaces, so fields are counted after it.
    const close = text.lastIndexOf(")");
    const command = text.slice(text.indexOf("(") + 1, close);
    const fields = text.slice(close + 2).split(" ");
    return { command, processGroup: Number(fields[2]), userTicks: Number(fields[11]), systemTicks: Number(fields[12]) };
  } catch {
    return null;
  }
}

/**
 * Returns the CPU milliseconds used so far by each command of the process group, for example
 * { workerd: 5230, MainThread: 880 }, or null where /proc or CLK_TCK cannot be read.
 */
export function processGroupCpuMs(processGroup) {
  if (TICKS_PER_SECOND === null) return null;
  let entries;
  try {
    entries = readdirSync("/proc");
  } catch {
    return null;
  }

  const totals = {};
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readStat(entry);
    if (stat === null || stat.processGroup !== processGroup) continue;
    const milliseconds = ((stat.userTicks + stat.systemTicks) * 1000) / TICKS_PER_SECOND;
    totals[stat.command] = (totals[stat.command] ?? 0) + milliseconds;
  }
  return totals;
}

/**
 * Returns the difference of two processGroupCpuMs() readings, per command, or null when a
 * process of the group exited in between, because its CPU time then drops out of the sum.
 */
export function cpuDelta(before, after) {
  if (before === null || after === null) return null;
  const delta = {};
  for (const [command, milliseconds] of Object.entries(after)) delta[command] = milliseconds - (before[command] ?? 0);
  const exited = Object.keys(before).some((command) => !(command in after));
  if (exited || Object.values(delta).some((milliseconds) => milliseconds < 0)) return null;
  return delta;
}

/**
 * Runs `operation` and returns its result with the CPU milliseconds that the Worker's
 * processes used meanwhile, per run, for each command name in /proc: workerd, and
 * MainThread and esbuild for wrangler's own Node.js process.
 */
export async function withServerCpu(serverCpu, runs, operation) {
  const before = serverCpu();
  const result = await operation();
  const delta = cpuDelta(before, serverCpu());
  if (delta === null) return { result, cpuPerRun: null };

  const cpuPerRun = {};
  for (const [command, milliseconds] of Object.entries(delta)) cpuPerRun[command] = round(milliseconds / runs, 2);
  return { result, cpuPerRun };
}

/** Adds one run's CPU milliseconds per command into `totals`, which stays null without /proc. */
export function addCpu(totals, before, after) {
  const delta = cpuDelta(before, after);
  if (delta === null || totals === null) return null;
  for (const [command, milliseconds] of Object.entries(delta)) totals[command] = (totals[command] ?? 0) + milliseconds;
  return totals;
}

/** Divides CPU totals per command by the number of runs. */
export function perRun(totals, runs) {
  if (totals === null) return null;
  return Object.fromEntries(Object.entries(totals).map(([command, milliseconds]) => [command, round(milliseconds / runs, 2)]));
}
