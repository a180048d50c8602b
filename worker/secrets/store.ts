/**
 * Secret storage in D1: encrypted writes that succeed or fail as a whole, name listings
 * and deletes. Values never leave this module in plaintext and never reach a query's text:
 * every value, including the ciphertext, is a bound parameter.
 */
import type { Db } from "../db";
import { MAX_BOUND_PARAMETERS } from "../db";
import {
  encryptValue,
  generateWrappedDataKey,
  unwrapDataKey,
  type Owner,
  type PlatformKeys,
  type WrappedDataKey,
} from "../crypto/envelope";
import { auditStatement, type AuditActor, type AuditRecord } from "../access/audit";
import { ApiError } from "../api/errors";
import { now } from "../ids";
import { MAX_SECRETS_PER_OWNER } from "../limits";

/** One secret to write: its name and the JSON text of its value. */
export interface SecretEntry {
  name: string;
  json: string;
}

export interface SecretWriteOptions {
  /** True deletes the owner's secrets that are not among the entries (secrets.json upload). */
  replace: boolean;
  /** Recorded in `updated_by`: a token id, "admin" or an execution id. */
  actor: string;
  /** When given, the batch also appends one audit record per created, updated or deleted name. */
  audit?: SecretAuditContext;
}

/** The actor and context of a secret change, as recorded in its audit records. */
export interface SecretAuditContext {
  actor: AuditActor;
  requestId?: string | null;
  projectId?: string | null;
  packageId?: string | null;
  executionId?: string | null;
}

/** A secret's name and times, the only columns a listing returns. */
export interface SecretName {
  name: string;
  created_at: string;
  updated_at: string;
}

interface DataKeyRow {
  wrapped_key: ArrayBuffer;
  platform_key_id: string;
}

/**
 * Builds the statements that write `entries` for `owner`. The caller runs them in ONE
 * `db.batch()`, possibly together with its own statements, so that either every entry is
 * written or none is.
 *
 * Before building anything it reads the owner's data key and secret names (two counted
 * statements). It raises ApiError 409 when an entry differs only in letter case from a
 * stored name, or from another entry, and 413 when the owner would hold more than
 * MAX_SECRETS_PER_OWNER secrets. When the owner has no data key yet, a new one is generated
 * and its INSERT is the first statement. That INSERT has no OR IGNORE, so if a concurrent
 * write created the key first, the batch fails as a whole instead of storing values under
 * a key that was discarded. `writeSecrets` retries that case once.
 */
export async function secretWriteStatements(
  db: Db,
  platform: PlatformKeys,
  owner: Owner,
  entries: SecretEntry[],
  options: SecretWriteOptions,
): Promise<D1PreparedStatement[]> {
  const [dataKeyRow, existing] = await Promise.all([
    db.first<DataKeyRow>(
      "SELECT wrapped_key, platform_key_id FROM data_keys WHERE workspace_id = ? AND scope = ? AND owner_id = ?",
      owner.workspaceId,
      owner.scope,
      owner.ownerId,
    ),
    listSecretNames(db, owner),
  ]);

  checkEntryNames(entries);
  checkAgainstStored(owner, entries, existing, options.replace);

  const statements: D1PreparedStatement[] = [];
  let wrapped: WrappedDataKey;
  if (dataKeyRow === null) {
    wrapped = await generateWrappedDataKey(platform, owner);
    statements.push(insertDataKeyStatement(db, owner, wrapped));
  } else {
    wrapped = { wrappedKey: new Uint8Array(dataKeyRow.wrapped_key), platformKeyId: dataKeyRow.platform_key_id };
  }
  const dataKey = await unwrapDataKey(platform, owner, wrapped);

  if (options.replace) {
    // Deleting first lets an entry replace a stored name that differs only in case, and the
    // names travel as one JSON array parameter, so the statement has four parameters for
    // any number of entries.
    statements.push(
      db.prepare(
        "DELETE FROM secrets WHERE workspace_id = ?1 AND scope = ?2 AND owner_id = ?3 " +
          "AND name NOT IN (SELECT value FROM json_each(?4))",
        owner.workspaceId,
        owner.scope,
        owner.ownerId,
        JSON.stringify(entries.map((entry) => entry.name)),
      ),
    );
  }

  const rows: EncryptedRow[] = [];
  for (const entry of entries) {
    const ciphertext = await encryptValue(dataKey, owner, entry.name, entry.json);
    rows.push({ name: entry.name, nameFolded: entry.name.toLowerCase(), ciphertext });
  }
  statements.push(...upsertStatements(db, owner, rows, options.actor));
  if (options.audit !== undefined) {
    statements.push(auditStatement(db, writeAuditRecords(owner, entries, existing, options.replace, options.audit)));
  }
  return statements;
}

/**
 * Writes `entries` for `owner` in one batch, all or nothing. See `secretWriteStatements`
 * for the checks and errors.
 */
export async function writeSecrets(
  db: Db,
  platform: PlatformKeys,
  owner: Owner,
  entries: SecretEntry[],
  options: SecretWriteOptions,
): Promise<void> {
  try {
    await db.batch(await secretWriteStatements(db, platform, owner, entries, options));
  } catch (error) {
    if (!isUniqueConstraintError(error)) throw error;
    console.warn(
      JSON.stringify({
        event: "secret_write_retry",
        scope: owner.scope,
        ownerId: owner.ownerId,
        error: (error as Error).message,
      }),
    );

    // A concurrent write created the data key or a case variant of a name between the
    // reads and the batch. The retry reads the new state, so it either succeeds or raises
    // the 409 that names the conflicting secret.
    try {
      await db.batch(await secretWriteStatements(db, platform, owner, entries, options));
    } catch (retryError) {
      if (!isUniqueConstraintError(retryError)) throw retryError;
      throw new ApiError(
        409,
        "concurrent_write",
        `Another request changed the ${owner.scope} secrets of ${owner.ownerId} at the same time: retry the upload.`,
      );
    }
  }
}

/** Lists the owner's secret names with their times, sorted by name, without values. */
export async function listSecretNames(db: Db, owner: Owner): Promise<SecretName[]> {
  return db.all<SecretName>(
    "SELECT name, created_at, updated_at FROM secrets WHERE workspace_id = ? AND scope = ? AND owner_id = ? ORDER BY name",
    owner.workspaceId,
    owner.scope,
    owner.ownerId,
  );
}

/**
 * Deletes one secret by its exact name; returns false when the owner has no such secret.
 * With `audit`, the delete and its audit record run in one batch after a check that the
 * secret exists, so a missing secret leaves no record.
 */
export async function deleteSecret(db: Db, owner: Owner, name: string, audit?: SecretAuditContext): Promise<boolean> {
  const where = "WHERE workspace_id = ? AND scope = ? AND owner_id = ? AND name = ?";
  if (audit === undefined) {
    const result = await db.run(`DELETE FROM secrets ${where}`, owner.workspaceId, owner.scope, owner.ownerId, name);
    return result.meta.changes > 0;
  }

  const found = await db.first(`SELECT 1 FROM secrets ${where}`, owner.workspaceId, owner.scope, owner.ownerId, name);
  if (found === null) return false;
  await db.batch([
    db.prepare(`DELETE FROM secrets ${where}`, owner.workspaceId, owner.scope, owner.ownerId, name),
    auditStatement(db, [auditRecord(owner, audit, "secret.deleted", name)]),
  ]);
  return true;
}

/**
 * Builds the statements that delete every secret of the owner and its data key, for the
 * caller's batch (package deletion). Nothing runs until the caller runs them.
 */
export function deleteOwnerSecrets(db: Db, owner: Owner): D1PreparedStatement[] {
  const where = "WHERE workspace_id = ? AND scope = ? AND owner_id = ?";
  return [
    db.prepare(`DELETE FROM secrets ${where}`, owner.workspaceId, owner.scope, owner.ownerId),
    db.prepare(`DELETE FROM data_keys ${where}`, owner.workspaceId, owner.scope, owner.ownerId),
  ];
}

interface EncryptedRow {
  name: string;
  nameFolded: string;
  ciphertext: Uint8Array;
}

/** Parameters ?1 to ?5, shared by every row of an upsert statement. */
const SHARED_PARAMETERS = 5;
const PARAMETERS_PER_ROW = 3;

/**
 * Builds multi-row upserts. The owner, the time and the actor are bound once per statement
 * as ?1 to ?5, and each row binds only its name, folded name and ciphertext, so one
 * statement carries 31 rows within D1's 100 bound parameters instead of 11. A 1,000-key
 * upload thus takes 33 upserts, 36 statements with the reads and the data key (37 with
 * its audit record). That is below the 50 queries per Worker invocation of D1's Free plan
 * (developers.cloudflare.com/d1/platform/limits/).
 */
function upsertStatements(db: Db, owner: Owner, rows: EncryptedRow[], actor: string): D1PreparedStatement[] {
  const rowsPerStatement = Math.floor((MAX_BOUND_PARAMETERS - SHARED_PARAMETERS) / PARAMETERS_PER_ROW);
  const time = now();
  const statements: D1PreparedStatement[] = [];

  for (let start = 0; start < rows.length; start += rowsPerStatement) {
    const chunk = rows.slice(start, start + rowsPerStatement);
    const values: unknown[] = [owner.workspaceId, owner.scope, owner.ownerId, time, actor];
    const tuples: string[] = [];

    chunk.forEach((row, index) => {
      const first = SHARED_PARAMETERS + 1 + index * PARAMETERS_PER_ROW;
      tuples.push(`(?1, ?2, ?3, ?${first}, ?${first + 1}, ?${first + 2}, ?4, ?4, ?5)`);
      values.push(row.name, row.nameFolded, row.ciphertext);
    });

    statements.push(
      db.prepare(
        "INSERT INTO secrets (workspace_id, scope, owner_id, name, name_folded, ciphertext, created_at, updated_at, updated_by) " +
          `VALUES ${tuples.join(", ")} ` +
          "ON CONFLICT (workspace_id, scope, owner_id, name) DO UPDATE SET " +
          "ciphertext = excluded.ciphertext, updated_at = excluded.updated_at, updated_by = excluded.updated_by",
        ...values,
      ),
    );
  }
  return statements;
}

function insertDataKeyStatement(db: Db, owner: Owner, wrapped: WrappedDataKey): D1PreparedStatement {
  return db.prepare(
    "INSERT INTO data_keys (workspace_id, scope, owner_id, wrapped_key, platform_key_id, created_at) VALUES (?, ?, ?, ?, ?, ?)",
    owner.workspaceId,
    owner.scope,
    owner.ownerId,
    wrapped.wrappedKey,
    wrapped.platformKeyId,
    now(),
  );
}

/** Rejects two entries with the same name, or names that differ only in letter case. */
function checkEntryNames(entries: SecretEntry[]): void {
  const byFolded = new Map<string, string>();
  for (const entry of entries) {
    const folded = entry.name.toLowerCase();
    const previous = byFolded.get(folded);
    if (previous === undefined) {
      byFolded.set(folded, entry.name);
      continue;
    }
    if (previous === entry.name) {
      throw new ApiError(400, "duplicate_key", `Secret ${JSON.stringify(entry.name)} is given twice: give each name once.`, {
        key: entry.name,
      });
    }
    throw caseConflict(previous, entry.name);
  }
}

/** Applies the case and count rules against the names the owner already stores. */
function checkAgainstStored(owner: Owner, entries: SecretEntry[], existing: SecretName[], replace: boolean): void {
  if (replace) {
    // A replace leaves exactly the entries, which checkEntryNames has already checked.
    if (entries.length > MAX_SECRETS_PER_OWNER) throw tooManySecrets(owner, entries.length);
    return;
  }

  const storedByFolded = new Map(existing.map((row) => [row.name.toLowerCase(), row.name]));
  let added = 0;
  for (const entry of entries) {
    const stored = storedByFolded.get(entry.name.toLowerCase());
    if (stored === undefined) {
      added += 1;
    } else if (stored !== entry.name) {
      throw caseConflict(stored, entry.name);
    }
  }

  const total = existing.length + added;
  if (total > MAX_SECRETS_PER_OWNER) throw tooManySecrets(owner, total);
}

function caseConflict(stored: string, given: string): ApiError {
  return new ApiError(
    409,
    "case_conflict",
    `Secret ${JSON.stringify(given)} differs only in letter case from ${JSON.stringify(stored)}: ` +
      `lookups are case-sensitive, so such names are easy to confuse and are rejected: use ${JSON.stringify(stored)} or delete it first.`,
    { key: given, conflicts_with: stored },
  );
}

function tooManySecrets(owner: Owner, total: number): ApiError {
  return new ApiError(
    413,
    "too_many_secrets",
    `The ${owner.scope} ${owner.ownerId} would hold ${total} secrets, more than the limit of ${MAX_SECRETS_PER_OWNER}: ` +
      "delete unused secrets first.",
    { limit: MAX_SECRETS_PER_OWNER, total },
  );
}

function writeAuditRecords(
  owner: Owner,
  entries: SecretEntry[],
  existing: SecretName[],
  replace: boolean,
  audit: SecretAuditContext,
): AuditRecord[] {
  const storedNames = new Set(existing.map((row) => row.name));
  const records = entries.map((entry) =>
    auditRecord(owner, audit, storedNames.has(entry.name) ? "secret.updated" : "secret.created", entry.name),
  );
  if (replace) {
    const kept = new Set(entries.map((entry) => entry.name));
    for (const row of existing) {
      if (!kept.has(row.name)) records.push(auditRecord(owner, audit, "secret.deleted", row.name));
    }
  }
  return records;
}

function auditRecord(
  owner: Owner,
  audit: SecretAuditContext,
  action: "secret.created" | "secret.updated" | "secret.deleted",
  secretName: string,
): AuditRecord {
  return {
    workspaceId: owner.workspaceId,
    actor: audit.actor,
    action,
    scope: owner.scope,
    ownerId: owner.ownerId,
    projectId: audit.projectId ?? null,
    packageId: audit.packageId ?? (owner.scope === "package" ? owner.ownerId : null),
    executionId: audit.executionId ?? null,
    secretName,
    requestId: audit.requestId ?? null,
  };
}

function isUniqueConstraintError(error: unknown): boolean {
  return error instanceof Error && error.message.includes("UNIQUE constraint failed");
}
