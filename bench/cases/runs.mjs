// Helpers shared by the cases that run packages.
import { median, round } from "../lib/stats.mjs";

/** Throws unless the execution ended completed, naming the case and the failure. */
export function assertCompleted(execution, runLabel) {
  if (execution?.status === "completed") return;
  const reason = execution?.failure_reason ?? "unknown";
  throw new Error(`The ${runLabel} ended ${execution?.status ?? "without a status"} (failure_reason ${reason}), execution ${execution?.id}.`);
}

function millisecondsBetween(start, end) {
  if (!start || !end) return null;
  const elapsed = Date.parse(end) - Date.parse(start);
  return Number.isFinite(elapsed) ? elapsed : null;
}

/**
 * Splits one execution's server-side time from its ISO timestamps (millisecond precision):
 * created to started (hand-off from the API to the executor), started to finished (the
 * executor's run), and the sum of the steps' own durations.
 */
export function executionTimings(execution) {
  const steps = execution.steps ?? [];
  const stepDurations = steps.map((step) => millisecondsBetween(step.started_at, step.finished_at));
  return {
    queued_ms: millisecondsBetween(execution.created_at, execution.started_at),
    running_ms: millisecondsBetween(execution.started_at, execution.finished_at),
    steps_ms: stepDurations.every((value) => value !== null) ? stepDurations.reduce((a, b) => a + b, 0) : null,
  };
}

/** Returns the median of each timing over the executions, or null where no execution had it. */
export function summarizeTimings(timings) {
  const summary = {};
  for (const key of ["queued_ms", "running_ms", "steps_ms"]) {
    const values = timings.map((timing) => timing[key]).filter((value) => value !== null);
    summary[`${key.replace(/_ms$/, "")}_median_ms`] = values.length ? round(median(values)) : null;
  }
  return summary;
}

/**
 * Returns the median of the client time that lies outside the execution's own span
 * (created_at to finished_at): the HTTP hop, authentication, the package lookup before the
 * execution row exists, and reading the finished execution back.
 */
export function outsideExecutionMedian(samples, executions) {
  const outside = [];
  executions.forEach((execution, index) => {
    const span = millisecondsBetween(execution.created_at, execution.finished_at);
    if (span !== null) outside.push(samples[index] - span);
  });
  return outside.length ? round(median(outside)) : null;
}
