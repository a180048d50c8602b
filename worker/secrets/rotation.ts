/**
 * Platform key rotation in D1: the data keys of one workspace that the previous platform key
 * wrapped are rewrapped under the current one. Secret values and their ciphertexts are never
 * read or written, because the data keys that encrypt them stay the same.
 */
import { auditStatement, type AuditActor } from "../access/audit";
import { rewrapDataKey, type PlatformKey, type Scope, type WrappedDataKey } from "../crypto/envelope";
import type { Db } from "../db";
import { MAX_BOUND_PARAMETERS } from "../db";
import { MAX_DATA_KEYS_REWRAPPED_PER_REQUEST } from "../limits";

/** Both keys of a rotation: the previous key unwraps, the current key wraps. */
export interface RotationKeys {
  current: PlatformKey;
  previous: PlatformKey;
}

export interface RotationContext {
  actor: AuditActor;
  requestId?: string | null;
  /** The maximum number of data keys to rewrap in this call, MAX_DATA_KEYS_REWRAPPED_PER_REQUEST by default. */
  limit?: number;
}

export interface RotationResult {
  /** Data keys this call moved from the previous key to the current one. */
  rewrapped: number;
  /** Data keys of the workspace still wrapped by the previous key after this call. */
  remaining: number;
}

interface DataKeyRow {
  scope: Scope;
  owner_id: string;
  wrapped_key: ArrayBuffer;
  platform_key_id: string;
}

interface RewrappedRow {
  scope: Scope;
  ownerId: string;
  wrappedKey: Uint8Array;
}

/** Parameters ?1 to ?3, shared by every row of an UPDATE statement. */
const SHARED_PARAMETERS = 3;
const PARAMETERS_PER_ROW = 3;

/**
 * Rewraps up to `limit` data keys of the workspace from `keys.previous` to `keys.current`,
 * in one D1 batch with one `platform_key.rotated` audit record, and returns how many it
 * rewrapped and how many remain. A call with nothing left to rewrap writes nothing, so
 * repeating it is harmless.
 *
 * Every row is rewrapped in memory before the batch runs, so a data key that fails to unwrap
 * raises `IntegrityError` naming its owner and nothing is written. Each UPDATE only matches
 * rows that still record the previous key id, so a concurrent call does not rewrap a row twice.
 */
export async function rewrapWorkspaceDataKeys(
  db: Db,
  keys: RotationKeys,
  workspaceId: string,
  context: RotationContext,
): Promise<RotationResult> {
  const limit = context.limit ?? MAX_DATA_KEYS_REWRAPPED_PER_REQUEST;
  const rows = await db.all<DataKeyRow>(
    "SELECT scope, owner_id, wrapped_key, platform_key_id FROM data_keys " +
      "WHERE workspace_id = ? AND platform_key_id = ? ORDER BY scope, owner_id LIMIT ?",
    workspaceId,
    keys.previous.id,
    limit,
  );
  if (rows.length === 0) return { rewrapped: 0, remaining: 0 };

  const rewrapped: RewrappedRow[] = [];
  for (const row of rows) {
    const owner = { workspaceId, scope: row.scope, ownerId: row.owner_id };
    const wrapped: WrappedDataKey = { wrappedKey: new Uint8Array(row.wrapped_key), platformKeyId: row.platform_key_id };
    const result = await rewrapDataKey(keys, owner, wrapped);
    rewrapped.push({ scope: row.scope, ownerId: row.owner_id, wrappedKey: result.wrappedKey });
  }

  const updates = updateStatements(db, keys, workspaceId, rewrapped);
  const results = await db.batch([
    ...updates,
    auditStatement(db, [
      {
        workspaceId,
        actor: context.actor,
        action: "platform_key.rotated",
        requestId: context.requestId ?? null,
        // NOTE: the count is the number of rows this call read and rewrapped. When two calls
        // overlap, the later one's UPDATEs match no row, but its record still states that
        // count. The response's `rewrapped` counts the rows actually changed.
        detail: `${rewrapped.length} data keys rewrapped from platform key ${keys.previous.id} to ${keys.current.id}`,
      },
    ]),
    db.prepare(
      "SELECT COUNT(*) AS remaining FROM data_keys WHERE workspace_id = ? AND platform_key_id = ?",
      workspaceId,
      keys.previous.id,
    ),
  ]);

  const changed = results.slice(0, updates.length).reduce((sum, result) => sum + result.meta.changes, 0);
  const remaining = (results.at(-1)!.results[0] as { remaining: number }).remaining;
  return { rewrapped: changed, remaining };
}

/**
 * Builds multi-row UPDATEs that join the rewrapped rows as a VALUES table. The workspace and
 * both key ids are bound once per statement as ?1 to ?3, and each row binds its scope, owner
 * id and wrapped key, so one statement carries 32 rows within D1's 100 bound parameters.
 */
function updateStatements(db: Db, keys: RotationKeys, workspaceId: string, rows: RewrappedRow[]): D1PreparedStatement[] {
  const rowsPerStatement = Math.floor((MAX_BOUND_PARAMETERS - SHARED_PARAMETERS) / PARAMETERS_PER_ROW);
  const statements: D1PreparedStatement[] = [];

  for (let start = 0; start < rows.length; start += rowsPerStatement) {
    const chunk = rows.slice(start, start + rowsPerStatement);
    const values: unknown[] = [workspaceId, keys.previous.id, keys.current.id];
    const tuples: string[] = [];

    chunk.forEach((row, index) => {
      const first = SHARED_PARAMETERS + 1 + index * PARAMETERS_PER_ROW;
      tuples.push(`(?${first}, ?${first + 1}, ?${first + 2})`);
      values.push(row.scope, row.ownerId, row.wrappedKey);
    });

    statements.push(
      db.prepare(
        "UPDATE data_keys SET wrapped_key = rewrapped.column3, platform_key_id = ?3 " +
          `FROM (VALUES ${tuples.join(", ")}) AS rewrapped ` +
          "WHERE data_keys.workspace_id = ?1 AND data_keys.platform_key_id = ?2 " +
          "AND data_keys.scope = rewrapped.column1 AND data_keys.owner_id = rewrapped.column2",
        ...values,
      ),
    );
  }
  return statements;
}
