/**
 * A step's output and error as the executor stores them. What the sandbox returns is untrusted
 * (the script shares the isolate with the runner), so it is checked field by field, masked, and
 * capped again here before it reaches D1.
 */
import { MAX_STEP_OUTPUT_BYTES } from "../limits";
import type { Masker } from "./masking";

export type OutputStream = "log" | "info" | "warn" | "error";

export interface OutputLine {
  stream: OutputStream;
  time: string;
  text: string;
}

export interface StepError {
  message: string;
  stack: string;
}

/** The checked return value of the sandbox runner's `run()`. */
export interface SandboxResult {
  timedOut: boolean;
  /** How long the script ran by the sandbox's clock, from the start of run() to its end. */
  elapsedMs: number;
  error: { name: string; message: string; stack: string } | null;
  output: OutputLine[];
  truncated: boolean;
}

/** The largest stored error message or stack, in characters. */
const MAX_ERROR_TEXT = 16 * 1024;
const STREAMS = new Set<string>(["log", "info", "warn", "error"]);
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$/;
const encoder = new TextEncoder();

export function truncationMarker(): OutputLine {
  return {
    stream: "error",
    time: new Date().toISOString(),
    text: `[output truncated: the step wrote more than ${MAX_STEP_OUTPUT_BYTES} bytes of output]`,
  };
}

/** Checks the runner's return value; anything malformed becomes a sandbox failure. */
export function parseSandboxResult(value: unknown): SandboxResult | null {
  if (typeof value !== "object" || value === null) return null;
  const record = value as Record<string, unknown>;
  if (typeof record.timedOut !== "boolean" || typeof record.truncated !== "boolean") return null;
  if (typeof record.elapsedMs !== "number" || !Number.isFinite(record.elapsedMs)) return null;
  if (!Array.isArray(record.output)) return null;

  const output: OutputLine[] = [];
  for (const item of record.output as unknown[]) {
    if (typeof item !== "object" || item === null) return null;
    const line = item as Record<string, unknown>;
    if (typeof line.text !== "string" || typeof line.stream !== "string" || !STREAMS.has(line.stream)) return null;
    const time = typeof line.time === "string" && ISO_TIME.test(line.time) ? line.time : new Date().toISOString();
    output.push({ stream: line.stream as OutputStream, time, text: line.text });
  }

  let error: SandboxResult["error"] = null;
  if (record.error !== null && record.error !== undefined) {
    const raw = record.error as Record<string, unknown>;
    if (typeof raw !== "object") return null;
    error = {
      name: typeof raw.name === "string" ? raw.name : "Error",
      message: typeof raw.message === "string" ? raw.message : "",
      stack: typeof raw.stack === "string" ? raw.stack : "",
    };
  }

  return { timedOut: record.timedOut, elapsedMs: record.elapsedMs, error, output, truncated: record.truncated };
}

/**
 * Masks the lines and caps them at MAX_STEP_OUTPUT_BYTES of stored JSON, so that escaping
 * cannot push a row past D1's size limit. When the sandbox cut its last line, the tail of that
 * line is dropped too: a secret cut in half there would not match its mask.
 */
export function finalizeOutput(
  lines: OutputLine[],
  sandboxTruncated: boolean,
  masker: Masker,
): { output: OutputLine[]; truncated: boolean } {
  const masked = lines.map((line) => ({ ...line, text: masker.mask(line.text) }));
  if (sandboxTruncated && masked.length > 0) {
    const last = masked[masked.length - 1]!;
    const unsafeTail = Math.max(0, masker.longestMask - 1);
    last.text = last.text.slice(0, Math.max(0, last.text.length - unsafeTail));
  }

  const marker = truncationMarker();
  const budget = MAX_STEP_OUTPUT_BYTES - storedSize(marker);
  const output: OutputLine[] = [];
  let used = 2;
  let truncated = sandboxTruncated;
  for (const line of masked) {
    const size = storedSize(line) + 1;
    if (used + size > budget) {
      truncated = true;
      break;
    }
    used += size;
    output.push(line);
  }

  if (truncated) output.push(marker);
  return { output, truncated };
}

/** Masks and bounds a step error, keeping only stack frames of the script's own file. */
export function finalizeError(
  error: { name: string; message: string; stack: string },
  fileName: string,
  masker: Masker,
): StepError {
  const message = error.message === "" ? error.name : `${error.name}: ${error.message}`;
  return {
    message: masker.mask(message).slice(0, MAX_ERROR_TEXT),
    stack: masker.mask(ownFrames(error.stack, fileName)).slice(0, MAX_ERROR_TEXT),
  };
}

/**
 * Keeps the frames that point into the script, as `at name (file:line:column)`. Frames of the
 * runner, the SDK and the platform are dropped, and so is any URL scheme before the file name.
 */
export function ownFrames(stack: string, fileName: string): string {
  const escaped = fileName.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const frame = new RegExp(`^\\s*at\\s+(?:(.*?)\\s+\\()?(?:[a-z]+:\\/*)?${escaped}:(\\d+):(\\d+)\\)?\\s*$`);
  const frames: string[] = [];
  for (const line of stack.split("\n")) {
    const match = frame.exec(line);
    if (!match) continue;
    const where = `${fileName}:${match[2]}:${match[3]}`;
    frames.push(match[1] ? `    at ${match[1]} (${where})` : `    at ${where}`);
  }
  return frames.join("\n");
}

function storedSize(line: OutputLine): number {
  return encoder.encode(JSON.stringify(line)).length;
}
