/**
 * Package state that scripts keep across runs (context.state), stored as JSON text in the
 * package_state table. Limits: MAX_STATE_KEYS keys per package, MAX_STATE_VALUE_BYTES per value.
 *
 * State is stored unencrypted and is not masked when a later run reads it back, so a write
 * whose key or value contains a secret that this run read or set is rejected. The check uses
 * the run's masks, so it finds the same forms that output masking finds. A value that the
 * script transformed in another way (reversed, cut in pieces, hex-encoded) is not detected.
 */
import type { Db } from "../db";
import { now } from "../ids";
import { MAX_STATE_KEYS, MAX_STATE_VALUE_BYTES } from "../limits";
import type { Masker } from "./masking";
import { ScriptFacingError } from "./vault";

export const MAX_STATE_KEY_LENGTH = 128;

export interface PackageRef {
  workspaceId: string;
  packageId: string;
}

/** Returns the JSON text of one value (null when absent), or of the whole state object. */
export async function readState(db: Db, ref: PackageRef, key: string | null): Promise<string | null> {
  if (key !== null) {
    const row = await db.first<{ value: string }>(
      "SELECT value FROM package_state WHERE workspace_id = ? AND package_id = ? AND key = ?",
      ref.workspaceId,
      ref.packageId,
      key,
    );
    return row?.value ?? null;
  }

  const rows = await db.all<{ key: string; value: string }>(
    "SELECT key, value FROM package_state WHERE workspace_id = ? AND package_id = ? ORDER BY key",
    ref.workspaceId,
    ref.packageId,
  );
  const state: Record<string, unknown> = {};
  for (const row of rows) state[row.key] = JSON.parse(row.value);
  return JSON.stringify(state);
}

/**
 * Stores one value. Rejects, with a message for the script, a key or value over the limits and
 * a key or value that contains one of the run's secret values (any mask in `masker`).
 */
export async function writeState(db: Db, ref: PackageRef, key: string, json: string, masker: Masker): Promise<void> {
  if (key.length === 0 || key.length > MAX_STATE_KEY_LENGTH) {
    throw new ScriptFacingError(`context.state.put: the key must be 1 to ${MAX_STATE_KEY_LENGTH} characters long.`);
  }
  // The key is checked first, because the other messages name it.
  if (masker.containsMasked(key)) {
    throw new ScriptFacingError(
      "context.state.put: the key contains a secret value that this run read or set, and state is stored unencrypted. Use a key without the secret, and store secrets with context.secrets.set instead.",
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    throw new ScriptFacingError(`context.state.put: the value of ${JSON.stringify(key)} is not valid JSON.`);
  }
  const size = new TextEncoder().encode(json).length;
  if (size > MAX_STATE_VALUE_BYTES) {
    throw new ScriptFacingError(
      `context.state.put: the value of ${JSON.stringify(key)} is ${size} bytes, over the limit of ${MAX_STATE_VALUE_BYTES}: store less.`,
    );
  }
  rejectSecretValue(key, json, value, masker);

  // The key count is checked and the row written in one statement, so two writes cannot
  // both pass the check and exceed the limit together.
  const result = await db.run(
    "INSERT INTO package_state (workspace_id, package_id, key, value, updated_at) " +
      "SELECT ?1, ?2, ?3, ?4, ?5 WHERE EXISTS (SELECT 1 FROM package_state WHERE package_id = ?2 AND key = ?3) " +
      "OR (SELECT COUNT(*) FROM package_state WHERE package_id = ?2) < ?6 " +
      "ON CONFLICT (package_id, key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
    ref.workspaceId,
    ref.packageId,
    key,
    json,
    now(),
    MAX_STATE_KEYS,
  );
  if (result.meta.changes === 0) {
    throw new ScriptFacingError(
      `context.state.put: the package already has ${MAX_STATE_KEYS} state keys, the maximum: reuse a key or store an object under one key.`,
    );
  }
}

function rejectSecretValue(key: string, json: string, value: unknown, masker: Masker): void {
  // The JSON text is what a later run prints when it logs the whole value, and each string
  // (object keys too) is what it prints when it logs one part. Checking the decoded strings
  // also finds a value that was JSON-encoded twice, and escapes such as \u0041 in the text.
  if (masker.containsMasked(json) || someString(value, (text) => masker.containsMasked(text))) {
    throw new ScriptFacingError(
      `context.state.put: the value of ${JSON.stringify(key)} contains a secret value that this run read or set, and state is stored unencrypted. Store secrets with context.secrets.set instead, and read them with get_secret.`,
    );
  }
}

/** Tests every string and object key in `value`. It walks with a stack, because state may nest deeply. */
function someString(value: unknown, test: (text: string) => boolean): boolean {
  const pending: unknown[] = [value];
  while (pending.length > 0) {
    const item = pending.pop();
    if (typeof item === "string") {
      if (test(item)) return true;
    } else if (Array.isArray(item)) {
      for (const child of item) pending.push(child);
    } else if (typeof item === "object" && item !== null) {
      for (const [key, child] of Object.entries(item)) {
        if (test(key)) return true;
        pending.push(child);
      }
    }
  }
  return false;
}
