/**
 * manifest.json: optional package settings uploaded beside the scripts.
 *
 *   { "description": "...", "execution_order": ["a.js", "b.js"], "entrypoint": "a.js",
 *     "allow_manual_triggering": true, "active": true, "timeout_seconds": 30,
 *     "allowed_hosts": ["api.example.com"] }
 *
 * Every key is optional; an unknown key is an error, so a misspelled setting never passes
 * silently.
 */
import { ApiError } from "../api/errors";
import { DEFAULT_STEP_TIMEOUT_MS, MAX_MANIFEST_BYTES } from "../limits";
import { parseJsonObjectFile, type Result } from "./json-file";
import {
  checkAllowedHosts,
  checkBoolean,
  checkDescription,
  checkEntrypoint,
  checkExecutionOrder,
  checkTimeoutSeconds,
  describeProblems,
  type FieldProblem,
} from "./settings";

export const MANIFEST_FILE = "manifest.json";

export const MANIFEST_KEYS = [
  "description",
  "execution_order",
  "entrypoint",
  "allow_manual_triggering",
  "active",
  "timeout_seconds",
  "allowed_hosts",
] as const;

export interface Manifest {
  description?: string;
  /** Script file names in run order; absent means upload order. */
  executionOrder?: string[];
  /** The one script that runs, overriding the execution order; null runs every script. */
  entrypoint: string | null;
  allowManualTriggering: boolean;
  active: boolean;
  timeoutMs: number;
  allowedHosts: string[];
}

/** The settings of a package uploaded without manifest.json. */
export const DEFAULT_MANIFEST: Manifest = {
  entrypoint: null,
  allowManualTriggering: true,
  active: true,
  timeoutMs: DEFAULT_STEP_TIMEOUT_MS,
  allowedHosts: [],
};

/** Parses manifest.json against the uploaded script names; every bad key is listed in one error. */
export function parseManifest(bytes: Uint8Array, scriptNames: readonly string[]): Result<Manifest> {
  const parsed = parseJsonObjectFile(bytes, MANIFEST_FILE, MAX_MANIFEST_BYTES);
  if (!parsed.ok) return parsed;
  const raw = parsed.value;

  const problems: FieldProblem[] = [];
  const known = new Set<string>(MANIFEST_KEYS);
  const unknown = Object.keys(raw).filter((key) => !known.has(key));
  for (const key of unknown) {
    problems.push({ field: key, message: `is not a manifest key; the keys are ${MANIFEST_KEYS.join(", ")}` });
  }

  const manifest: Manifest = { ...DEFAULT_MANIFEST, allowedHosts: [] };
  if (raw.description !== undefined) manifest.description = checkDescription(raw.description, "description", problems);
  if (raw.execution_order !== undefined) {
    manifest.executionOrder = checkExecutionOrder(raw.execution_order, "execution_order", scriptNames, problems);
  }
  if (raw.entrypoint !== undefined && raw.entrypoint !== null) {
    manifest.entrypoint = checkEntrypoint(raw.entrypoint, "entrypoint", scriptNames, problems) ?? null;
  }
  if (raw.allow_manual_triggering !== undefined) {
    manifest.allowManualTriggering = checkBoolean(raw.allow_manual_triggering, "allow_manual_triggering", problems) ?? true;
  }
  if (raw.active !== undefined) manifest.active = checkBoolean(raw.active, "active", problems) ?? true;
  if (raw.timeout_seconds !== undefined) {
    manifest.timeoutMs = checkTimeoutSeconds(raw.timeout_seconds, "timeout_seconds", problems) ?? DEFAULT_STEP_TIMEOUT_MS;
  }
  if (raw.allowed_hosts !== undefined) {
    manifest.allowedHosts = checkAllowedHosts(raw.allowed_hosts, "allowed_hosts", problems) ?? [];
  }

  if (problems.length > 0) {
    const code = unknown.length > 0 && unknown.length === problems.length ? "unknown_manifest_key" : "invalid_manifest";
    return {
      ok: false,
      error: new ApiError(400, code, `${MANIFEST_FILE} is invalid: ${describeProblems(problems)}.`, problems),
    };
  }
  return { ok: true, value: manifest };
}
