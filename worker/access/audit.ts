/**
 * The audit trail: one append-only record per secret read or write, package change, run start
 * and end, token change, platform key rotation and failed authorization. A record never contains
 * a value or key material.
 *
 * Writers put the record in the same D1 batch as the change it describes, so that a change
 * whose record cannot be written does not happen either.
 */
import type { Db } from "../db";
import { newId, now } from "../ids";

export type AuditAction =
  | "secret.created"
  | "secret.updated"
  | "secret.deleted"
  | "secret.read"
  | "package.created"
  | "package.updated"
  | "package.deleted"
  | "project.deleted"
  | "run.started"
  | "run.finished"
  | "token.created"
  | "token.revoked"
  | "auth.failed"
  /** Data keys rewrapped under the current platform key; the detail has the count and both key ids. */
  | "platform_key.rotated";

export interface AuditActor {
  type: "token" | "admin" | "session" | "script";
  id: string;
  name?: string | null;
}

export interface AuditRecord {
  workspaceId: string;
  actor: AuditActor;
  action: AuditAction;
  scope?: string | null;
  ownerId?: string | null;
  projectId?: string | null;
  packageId?: string | null;
  executionId?: string | null;
  secretName?: string | null;
  requestId?: string | null;
  detail?: string | null;
}

const COLUMNS = [
  "id",
  "workspace_id",
  "at",
  "actor_type",
  "actor_id",
  "actor_name",
  "action",
  "scope",
  "owner_id",
  "project_id",
  "package_id",
  "execution_id",
  "secret_name",
  "request_id",
  "detail",
] as const;

function toRow(record: AuditRecord, at: string): Record<(typeof COLUMNS)[number], string | null> {
  return {
    id: newId("aud"),
    workspace_id: record.workspaceId,
    at,
    actor_type: record.actor.type,
    actor_id: record.actor.id,
    actor_name: record.actor.name ?? null,
    action: record.action,
    scope: record.scope ?? null,
    owner_id: record.ownerId ?? null,
    project_id: record.projectId ?? null,
    package_id: record.packageId ?? null,
    execution_id: record.executionId ?? null,
    secret_name: record.secretName ?? null,
    request_id: record.requestId ?? null,
    detail: record.detail ?? null,
  };
}

/**
 * Builds one statement that appends any number of records. The records travel as one JSON
 * parameter expanded by json_each, so the statement stays within D1's limit of 100 bound
 * parameters and a step's many secret reads cost one statement, not one per read.
 */
export function auditStatement(db: Db, records: AuditRecord[]): D1PreparedStatement {
  const at = now();
  const rows = records.map((record) => toRow(record, at));
  const extract = COLUMNS.map((column) => `json_extract(value, '$.${column}')`).join(", ");
  return db.prepare(
    `INSERT INTO audit_events (${COLUMNS.join(", ")}) SELECT ${extract} FROM json_each(?) ORDER BY key`,
    JSON.stringify(rows),
  );
}

/** Appends records on their own, for events that change nothing else (a failed authorization). */
export async function appendAudit(db: Db, records: AuditRecord[]): Promise<void> {
  if (records.length === 0) return;
  await db.batch([auditStatement(db, records)]);
}
