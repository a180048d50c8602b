/**
 * Runs one step in a fresh dynamic worker (Worker Loader) and turns what happened into the
 * step's stored outcome: masked, capped output and a masked error with the script's own frames.
 */
import { MAX_STEP_OUTPUT_BYTES, MAX_STEP_SUBREQUESTS, STEP_CPU_LIMIT_MS } from "../limits";
import { instrumentScript } from "../sandbox/instrument";
import { RUNNER_MODULE, sandboxModules } from "../sandbox/modules";
import type { RunEvent, StepSpec } from "./event";
import {
  finalizeError,
  finalizeOutput,
  parseSandboxResult,
  type OutputLine,
  type SandboxResult,
  type StepError,
} from "./output";
import type { StepCapability } from "./capability";
import type { RunSecrets } from "./vault";

/** The compatibility date of every dynamic worker, pinned so that scripts see stable behavior. */
export const SANDBOX_COMPATIBILITY_DATE = "2026-11-01";
/** How long past the step's limit the executor waits for the sandbox's own timeout. */
const TIMEOUT_GRACE_MS = 2_000;
/**
 * How long the executor still waits for a result once that grace has passed. A native call that
 * held the process past the grace lets the result and the executor's timer become due at the
 * same moment, and this keeps the result (and its output) when the timer wins that race.
 */
const LATE_RESULT_MS = 100;

export type StepFailureReason = "timeout" | "error" | "integrity" | "interrupted";

export interface StepOutcome {
  status: "completed" | "failed";
  failureReason: StepFailureReason | null;
  output: OutputLine[];
  truncated: boolean;
  error: StepError | null;
}

/** The loopback bindings of the Worker's own entrypoints (ctx.exports). */
export interface SandboxExports {
  OutboundGate(options: { props: { allowedHosts: string[] } }): Fetcher;
}

interface RunnerEntrypoint {
  run(input: unknown, capability: StepCapability): Promise<unknown>;
}

export interface StepContext {
  loader: WorkerLoader;
  exports: SandboxExports;
  event: RunEvent;
  secrets: RunSecrets;
  /** The step's `ferris_ef` capability, passed to the sandbox with the call that runs it. */
  capability: StepCapability;
}

export async function runStep(context: StepContext, step: StepSpec): Promise<StepOutcome> {
  const { event, secrets } = context;
  const instrumented = instrumentScript(step.fileName, step.source);
  if (!instrumented.ok) return failed("error", finalizeError(instrumented.error, step.fileName, secrets.masker));

  const worker = context.loader.load({
    compatibilityDate: SANDBOX_COMPATIBILITY_DATE,
    mainModule: RUNNER_MODULE,
    modules: sandboxModules({
      fileName: step.fileName,
      instrumentedSource: instrumented.source,
      timeoutMs: event.timeoutMs,
      allowedHosts: event.allowedHosts,
      maxOutputBytes: MAX_STEP_OUTPUT_BYTES,
    }),
    globalOutbound:
      event.allowedHosts.length > 0 ? context.exports.OutboundGate({ props: { allowedHosts: event.allowedHosts } }) : null,
    // Cloudflare enforces these; local workerd does not, which is why the guard exists.
    limits: { cpuMs: Math.min(event.timeoutMs, STEP_CPU_LIMIT_MS), subRequests: MAX_STEP_SUBREQUESTS },
  });

  const entrypoint = worker.getEntrypoint() as unknown as RunnerEntrypoint;
  const input = {
    params: event.params,
    config: event.config,
    package: { id: event.packageId, name: event.packageName },
    executionId: event.executionId,
  };

  const started = Date.now();
  const running = entrypoint.run(input, context.capability);
  let raw: unknown;
  try {
    raw = await withTimeout(running, event.timeoutMs + TIMEOUT_GRACE_MS);
    if (raw === TIMED_OUT) raw = await withTimeout(running, LATE_RESULT_MS);
  } catch (error) {
    return sandboxFailure(error, event.timeoutMs, step, secrets);
  }
  if (raw === TIMED_OUT) return timedOut(event.timeoutMs, [], false, secrets);
  const wallMs = Date.now() - started;

  const result = parseSandboxResult(raw);
  if (result === null) {
    return failed("error", { message: "The step's sandbox returned a malformed result.", stack: "" });
  }
  return outcomeOf(result, wallMs, event.timeoutMs, step, secrets);
}

/** `wallMs` is the executor's own measure of the call, which includes the sandbox's startup. */
function outcomeOf(result: SandboxResult, wallMs: number, timeoutMs: number, step: StepSpec, secrets: RunSecrets): StepOutcome {
  if (result.timedOut) return timedOut(timeoutMs, result.output, result.truncated, secrets);

  const { output, truncated } = finalizeOutput(result.output, result.truncated, secrets.masker);
  if (secrets.integrityFailure !== null) {
    const error = finalizeError({ name: "IntegrityError", message: secrets.integrityFailure, stack: "" }, step.fileName, secrets.masker);
    return { status: "failed", failureReason: "integrity", output, truncated, error };
  }

  // One long native call (a sort, a backtracking regular expression) runs no guard, so a step
  // can return after its limit. The sandbox's clock decides, and the executor's clock, with the
  // grace for startup, covers a sandbox whose report is wrong.
  const ranMs = result.elapsedMs > timeoutMs ? result.elapsedMs : wallMs;
  if (result.elapsedMs > timeoutMs || wallMs > timeoutMs + TIMEOUT_GRACE_MS) {
    return { status: "failed", failureReason: "timeout", output, truncated, error: overrunError(ranMs, timeoutMs) };
  }

  if (result.error !== null) {
    return { status: "failed", failureReason: "error", output, truncated, error: finalizeError(result.error, step.fileName, secrets.masker) };
  }
  return { status: "completed", failureReason: null, output, truncated, error: null };
}

function timedOut(timeoutMs: number, lines: OutputLine[], sandboxTruncated: boolean, secrets: RunSecrets): StepOutcome {
  const { output, truncated } = finalizeOutput(lines, sandboxTruncated, secrets.masker);
  const error = {
    message: `TimeoutError: The step ran longer than its time limit of ${timeoutMs} ms and was stopped. Raise timeout_seconds in manifest.json if it needs more time.`,
    stack: "",
  };
  return { status: "failed", failureReason: "timeout", output, truncated, error };
}

function overrunError(ranMs: number, timeoutMs: number): StepError {
  return {
    message:
      `TimeoutError: The step ran for ${Math.round(ranMs)} ms, which exceeds its time limit of ${timeoutMs} ms. ` +
      "A single long call, such as a sort of a large array or a regular expression that backtracks, cannot be stopped part-way, " +
      "so the step ran to its end but counts as timed out. Raise timeout_seconds in manifest.json or make the step do less work.",
    stack: "",
  };
}

/** Maps a failed RPC (a crashed sandbox, or Cloudflare's CPU limit) to the step's outcome. */
function sandboxFailure(error: unknown, timeoutMs: number, step: StepSpec, secrets: RunSecrets): StepOutcome {
  const message = error instanceof Error ? error.message : String(error);
  if (/exceeded (its )?CPU/i.test(message)) return timedOut(timeoutMs, [], false, secrets);
  return failed(
    "error",
    finalizeError({ name: "Error", message: `The step's sandbox failed: ${message}`, stack: "" }, step.fileName, secrets.masker),
  );
}

function failed(reason: StepFailureReason, error: StepError): StepOutcome {
  return { status: "failed", failureReason: reason, output: [], truncated: false, error };
}

const TIMED_OUT = Symbol("timed out");

async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T | typeof TIMED_OUT> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<typeof TIMED_OUT>((resolve) => {
    timer = setTimeout(() => resolve(TIMED_OUT), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    if (timer !== undefined) clearTimeout(timer);
  }
}
