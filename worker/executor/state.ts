/**
 * Package state that scripts keep across runs (context.state), stored as JSON text in the
 * package_state table. Limits: MAX_STATE_KEYS keys per package, MAX_STATE_VALUE_BYTES per value.
 */
import type { Db } from "../db";
import { now } from "../ids";
import { MAX_STATE_KEYS, MAX_STATE_VALUE_BYTES } from "../limits";
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

/** Stores one value; rejects a key or value over the limits with a message for the script. */
export async function writeState(db: Db, ref: PackageRef, key: string, json: string): Promise<void> {
  if (key.length === 0 || key.length > MAX_STATE_KEY_LENGTH) {
    throw new ScriptFacingError(`context.state.put: the key must be 1 to ${MAX_STATE_KEY_LENGTH} characters long.`);
  }
  try {
    JSON.parse(json);
  } catch {
    throw new ScriptFacingError(`context.state.put: the value of ${JSON.stringify(key)} is not valid JSON.`);
  }
  const size = new TextEncoder().encode(json).length;
  if (size > MAX_STATE_VALUE_BYTES) {
    throw new ScriptFacingError(
      `context.state.put: the value of ${JSON.stringify(key)} is ${size} bytes, over the limit of ${MAX_STATE_VALUE_BYTES}: store less.`,
    );
  }

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
