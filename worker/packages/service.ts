/**
 * Package writes: create, update, replace scripts and delete. Each operation validates
 * everything first and then runs one db.batch(), which D1 runs as one transaction, so a
 * failure at any point leaves nothing half-written.
 */
import { auditStatement, type AuditActor, type AuditRecord } from "../access/audit";
import { ApiError } from "../api/errors";
import type { Owner, PlatformKeys } from "../crypto/envelope";
import type { Db } from "../db";
import { newId, now } from "../ids";
import { MAX_CONFIG_BYTES } from "../limits";
import { deleteOwnerSecrets, listSecretNames, secretWriteStatements } from "../secrets/store";
import { checkJsonObject } from "./json-file";
import {
  deletePackageStatements,
  deleteScriptsStatement,
  findPackage,
  findPackageByName,
  insertPackageStatement,
  insertScriptStatements,
  isUniqueViolation,
  listScripts,
  reorderScriptStatements,
  type PackageRow,
} from "./repository";
import { toPackageDetails, type UpdatePackageBody } from "./schemas";
import {
  checkAllowedHosts,
  checkDescription,
  checkEntrypoint,
  checkExecutionOrder,
  describeProblems,
  type FieldProblem,
} from "./settings";
import type { PackageUpload, ScriptFile } from "./upload";
import type { z } from "@hono/zod-openapi";

/** The actor and workspace of a write, for rows, `updated_by` columns and the audit trail. */
export interface WriteContext {
  db: Db;
  workspaceId: string;
  /** Recorded as the secrets' `updated_by`. */
  actorId: string;
  auditActor: AuditActor;
  requestId: string;
  /** Imports the platform key; called only when a write encrypts secrets. */
  platformKey: () => Promise<PlatformKeys>;
}

export function packageOwner(workspaceId: string, packageId: string): Owner {
  return { workspaceId, scope: "package", ownerId: packageId };
}

function packageNameTaken(name: string): ApiError {
  return new ApiError(409, "name_taken", `A package named ${JSON.stringify(name)} already exists in this project: choose another name.`, {
    field: "name",
  });
}

function audit(context: WriteContext, row: { id: string; project_id: string }, action: AuditRecord["action"], detail: string): AuditRecord {
  return {
    workspaceId: context.workspaceId,
    actor: context.auditActor,
    action,
    projectId: row.project_id,
    packageId: row.id,
    requestId: context.requestId,
    detail,
  };
}

/** Loads the details response of a package, or null when it is not in the workspace. */
export async function loadPackageDetails(db: Db, workspaceId: string, packageId: string) {
  const row = await findPackage(db, workspaceId, packageId);
  if (row === null) return null;
  const [scripts, secrets] = await Promise.all([
    listScripts(db, workspaceId, packageId),
    listSecretNames(db, packageOwner(workspaceId, packageId)),
  ]);
  return toPackageDetails(row, scripts, secrets);
}

/** Stores a checked upload: the package row, its scripts and its secrets in one batch. */
export async function createPackage(context: WriteContext, projectId: string, upload: PackageUpload): Promise<string> {
  const { db, workspaceId } = context;
  if ((await findPackageByName(db, workspaceId, projectId, upload.name)) !== null) throw packageNameTaken(upload.name);

  const time = now();
  const row: PackageRow = {
    id: newId("pkg"),
    workspace_id: workspaceId,
    project_id: projectId,
    name: upload.name,
    description: upload.description,
    config: JSON.stringify(upload.config),
    entrypoint: upload.manifest.entrypoint,
    allow_manual_triggering: upload.manifest.allowManualTriggering ? 1 : 0,
    active: upload.manifest.active ? 1 : 0,
    timeout_ms: upload.manifest.timeoutMs,
    allowed_hosts: JSON.stringify(upload.manifest.allowedHosts),
    created_at: time,
    updated_at: time,
  };

  const statements = [insertPackageStatement(db, row), ...insertScriptStatements(db, workspaceId, row.id, upload.scripts, time)];
  const scriptCount = upload.scripts.length;
  const records = [audit(context, row, "package.created", `${scriptCount} script${scriptCount === 1 ? "" : "s"}`)];

  const secrets = upload.secrets ?? [];
  if (secrets.length > 0) {
    const owner = packageOwner(workspaceId, row.id);
    const platform = await context.platformKey();
    statements.push(...(await secretWriteStatements(db, platform, owner, secrets, { replace: true, actor: context.actorId })));
    for (const secret of secrets) {
      records.push({ ...audit(context, row, "secret.created", "secrets.json"), scope: "package", ownerId: row.id, secretName: secret.name });
    }
  }
  statements.push(auditStatement(db, records));

  try {
    await db.batch(statements);
  } catch (error) {
    // Two uploads of one name can both pass the check above; the UNIQUE index decides.
    if (isUniqueViolation(error, "packages")) throw packageNameTaken(upload.name);
    throw error;
  }
  return row.id;
}

/** Replaces every script of a package, in the given order, keeping its settings. */
export async function replaceScripts(context: WriteContext, row: PackageRow, scripts: ScriptFile[]): Promise<void> {
  const { db, workspaceId } = context;
  const names = scripts.map((script) => script.fileName);
  if (row.entrypoint !== null && !names.includes(row.entrypoint)) {
    throw new ApiError(
      400,
      "entrypoint_missing",
      `The package's entrypoint ${JSON.stringify(row.entrypoint)} is not among the uploaded scripts: include it, ` +
        'or first set another entrypoint (or null) with PATCH {"entrypoint": ...}.',
      { field: "scripts", entrypoint: row.entrypoint },
    );
  }

  const time = now();
  await db.batch([
    deleteScriptsStatement(db, workspaceId, row.id),
    ...insertScriptStatements(db, workspaceId, row.id, scripts, time),
    db.prepare("UPDATE packages SET updated_at = ? WHERE workspace_id = ? AND id = ?", time, workspaceId, row.id),
    auditStatement(db, [audit(context, row, "package.updated", `scripts replaced: ${names.join(", ")}`)]),
  ]);
}

type UpdateBody = z.infer<typeof UpdatePackageBody>;

/** Column assignments of a PATCH, built from fixed column names; every value is bound. */
interface Assignment {
  column: string;
  value: string | number | null;
}

function updateAssignments(body: UpdateBody, scriptNames: string[], problems: FieldProblem[]): Assignment[] {
  const assignments: Assignment[] = [];

  if (body.description !== undefined) {
    const description = checkDescription(body.description, "description", problems);
    if (description !== undefined) assignments.push({ column: "description", value: description });
  }
  if (body.timeout_seconds !== undefined) assignments.push({ column: "timeout_ms", value: body.timeout_seconds * 1000 });
  if (body.active !== undefined) assignments.push({ column: "active", value: body.active ? 1 : 0 });
  if (body.allow_manual_triggering !== undefined) {
    assignments.push({ column: "allow_manual_triggering", value: body.allow_manual_triggering ? 1 : 0 });
  }
  if (body.allowed_hosts !== undefined) {
    const hosts = checkAllowedHosts(body.allowed_hosts, "allowed_hosts", problems);
    if (hosts !== undefined) assignments.push({ column: "allowed_hosts", value: JSON.stringify(hosts) });
  }
  if (body.entrypoint !== undefined) {
    const entrypoint = body.entrypoint === null ? null : checkEntrypoint(body.entrypoint, "entrypoint", scriptNames, problems);
    if (entrypoint !== undefined) assignments.push({ column: "entrypoint", value: entrypoint });
  }
  if (body.config !== undefined) {
    const config = checkJsonObject(body.config, "config");
    const text = JSON.stringify(body.config);
    const size = new TextEncoder().encode(text).byteLength;
    if (!config.ok) problems.push({ field: "config", message: config.error.message });
    else if (size > MAX_CONFIG_BYTES) problems.push({ field: "config", message: `is ${size} bytes of JSON; the maximum is ${MAX_CONFIG_BYTES}` });
    else assignments.push({ column: "config", value: text });
  }

  return assignments;
}

/** Applies a PATCH: settings, config and a new script order, in one batch. */
export async function updatePackage(context: WriteContext, row: PackageRow, body: UpdateBody): Promise<void> {
  const { db, workspaceId } = context;
  const fields = Object.keys(body);
  if (fields.length === 0) {
    throw new ApiError(400, "empty_update", "The request sets no field: send at least one setting to change.");
  }

  const scriptNames = (await listScripts(db, workspaceId, row.id)).map((script) => script.file_name);
  const problems: FieldProblem[] = [];
  const assignments = updateAssignments(body, scriptNames, problems);
  const order = body.execution_order === undefined ? undefined : checkExecutionOrder(body.execution_order, "execution_order", scriptNames, problems);
  if (problems.length > 0) {
    throw new ApiError(400, "invalid_request", `The update is invalid: ${describeProblems(problems)}.`, problems);
  }

  const time = now();
  assignments.push({ column: "updated_at", value: time });
  const setClause = assignments.map((assignment) => `${assignment.column} = ?`).join(", ");
  const statements = [
    db.prepare(`UPDATE packages SET ${setClause} WHERE workspace_id = ? AND id = ?`, ...assignments.map((a) => a.value), workspaceId, row.id),
  ];
  if (order !== undefined) statements.push(...reorderScriptStatements(db, workspaceId, row.id, order));
  statements.push(auditStatement(db, [audit(context, row, "package.updated", `changed ${fields.join(", ")}`)]));
  await db.batch(statements);
}

/**
 * Deletes a package with its scripts, secrets, data key and state. Executions have no
 * foreign key to the package, so their rows stay readable.
 */
export async function deletePackage(context: WriteContext, row: PackageRow): Promise<void> {
  const { db, workspaceId } = context;
  await db.batch([
    ...deleteOwnerSecrets(db, packageOwner(workspaceId, row.id)),
    ...deletePackageStatements(db, workspaceId, row.id),
    auditStatement(db, [audit(context, row, "package.deleted", row.name)]),
  ]);
}
