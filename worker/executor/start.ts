/**
 * Starting an execution: the rows it needs and everything the executor will read are written
 * and read in ONE D1 batch, so a run costs the same number of statements whatever number of
 * secrets it has. This module does not import "cloudflare:workers": the API imports it.
 */
import { auditStatement, type AuditActor } from "../access/audit";
import type { Scope, WrappedDataKey } from "../crypto/envelope";
import type { Db } from "../db";
import type { PackageRow } from "../packages/repository";
import { newId, now } from "../ids";
import { DEFAULT_STEP_TIMEOUT_MS, MAX_STEP_TIMEOUT_MS } from "../limits";
import type { EncryptedSecret, JsonValue, RunEvent, ScopeSecrets, StepSpec } from "./event";

/** The package columns that starting a run needs. */
export type RunnablePackage = Pick<
  PackageRow,
  "id" | "name" | "project_id" | "config" | "entrypoint" | "allow_manual_triggering" | "active" | "timeout_ms" | "allowed_hosts"
>;

export const RUNNABLE_PACKAGE_COLUMNS =
  "id, name, project_id, config, entrypoint, allow_manual_triggering, active, timeout_ms, allowed_hosts";

interface DataKeyRow {
  scope: Scope;
  wrapped_key: ArrayBuffer;
  platform_key_id: string;
}

interface SecretRow {
  scope: Scope;
  name: string;
  ciphertext: ArrayBuffer;
}

/**
 * Inserts the execution (pending, trigger manual) and one pending step per script to run,
 * and reads the scripts, the three scopes' data keys and secrets and the workspace setting,
 * all in one batch. Returns the run event for the executor.
 */
export async function startExecution(
  db: Db,
  workspaceId: string,
  pkg: RunnablePackage,
  userParams: Record<string, JsonValue>,
  trigger: { actor: AuditActor; requestId: string },
): Promise<RunEvent> {
  const executionId = newId("exe");
  const createdAt = now();
  const params: Record<string, JsonValue> = {
    ...userParams,
    // The built-in parameters win over user ones of the same name.
    package_name: pkg.name,
    package_id: pkg.id,
    project_id: pkg.project_id,
    execution_id: executionId,
  };
  const owners: Record<Scope, string> = { package: pkg.id, project: pkg.project_id, platform: workspaceId };

  // Steps are numbered 1..n in script order; with an entrypoint only that script is a step.
  const scriptFilter = "FROM scripts WHERE package_id = ?1 AND workspace_id = ?2 AND (?3 IS NULL OR file_name = ?3)";
  const ownerFilter =
    "workspace_id = ?1 AND ((scope = 'package' AND owner_id = ?2) OR (scope = 'project' AND owner_id = ?3) " +
    "OR (scope = 'platform' AND owner_id = ?4))";

  const results = await db.batch([
    db.prepare(
      "INSERT INTO executions (id, workspace_id, package_id, package_name, project_id, status, trigger, params, created_at) " +
        "VALUES (?, ?, ?, ?, ?, 'pending', 'manual', ?, ?)",
      executionId,
      workspaceId,
      pkg.id,
      pkg.name,
      pkg.project_id,
      JSON.stringify(params),
      createdAt,
    ),
    db.prepare(
      "INSERT INTO steps (workspace_id, execution_id, position, file_name, status) " +
        `SELECT ?2, ?4, ROW_NUMBER() OVER (ORDER BY position), file_name, 'pending' ${scriptFilter}`,
      pkg.id,
      workspaceId,
      pkg.entrypoint,
      executionId,
    ),
    db.prepare(
      `SELECT ROW_NUMBER() OVER (ORDER BY position) AS position, file_name, source ${scriptFilter} ORDER BY position`,
      pkg.id,
      workspaceId,
      pkg.entrypoint,
    ),
    db.prepare(`SELECT scope, wrapped_key, platform_key_id FROM data_keys WHERE ${ownerFilter}`, workspaceId, owners.package, owners.project, owners.platform),
    db.prepare(`SELECT scope, name, ciphertext FROM secrets WHERE ${ownerFilter}`, workspaceId, owners.package, owners.project, owners.platform),
    db.prepare("SELECT allow_script_platform_secrets FROM workspaces WHERE id = ?", workspaceId),
    // The start is recorded in the same transaction: a run whose start cannot be recorded does not start.
    auditStatement(db, [
      {
        workspaceId,
        actor: trigger.actor,
        action: "run.started",
        projectId: pkg.project_id,
        packageId: pkg.id,
        executionId,
        requestId: trigger.requestId,
        detail: "trigger manual",
      },
    ]),
  ]);

  const scripts = results[2]!.results as { position: number; file_name: string; source: string }[];
  const dataKeys = results[3]!.results as DataKeyRow[];
  const secrets = results[4]!.results as SecretRow[];
  const workspace = results[5]!.results[0] as { allow_script_platform_secrets: number } | undefined;

  return {
    workspaceId,
    executionId,
    packageId: pkg.id,
    packageName: pkg.name,
    projectId: pkg.project_id,
    params,
    config: parseObject(pkg.config),
    steps: scripts.map((row): StepSpec => ({ position: row.position, fileName: row.file_name, source: row.source })),
    timeoutMs: stepTimeout(pkg.timeout_ms),
    allowedHosts: parseHosts(pkg.allowed_hosts),
    allowScriptPlatformSecrets: workspace?.allow_script_platform_secrets === 1,
    scopes: {
      package: scopeSecrets("package", owners.package, dataKeys, secrets),
      project: scopeSecrets("project", owners.project, dataKeys, secrets),
      platform: scopeSecrets("platform", owners.platform, dataKeys, secrets),
    },
    // Every statement of this request so far (authorization included) and this batch.
    apiStatements: db.statements,
  };
}

function scopeSecrets(scope: Scope, ownerId: string, dataKeys: DataKeyRow[], secrets: SecretRow[]): ScopeSecrets {
  const keyRow = dataKeys.find((row) => row.scope === scope);
  const dataKey: WrappedDataKey | null =
    keyRow === undefined ? null : { wrappedKey: new Uint8Array(keyRow.wrapped_key), platformKeyId: keyRow.platform_key_id };
  const list: EncryptedSecret[] = secrets
    .filter((row) => row.scope === scope)
    .map((row) => ({ name: row.name, ciphertext: new Uint8Array(row.ciphertext) }));
  return { ownerId, dataKey, secrets: list };
}

/** Returns the package's timeout, bounded to 1 s .. MAX_STEP_TIMEOUT_MS in case a row contains anything else. */
function stepTimeout(timeoutMs: number): number {
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) return DEFAULT_STEP_TIMEOUT_MS;
  return Math.min(Math.max(timeoutMs, 1_000), MAX_STEP_TIMEOUT_MS);
}

function parseObject(text: string): Record<string, JsonValue> {
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value === "object" && value !== null && !Array.isArray(value)) return value as Record<string, JsonValue>;
  } catch {
    // A malformed stored config runs as an empty one; the upload checks keep it from happening.
  }
  return {};
}

function parseHosts(text: string): string[] {
  try {
    const value: unknown = JSON.parse(text);
    if (Array.isArray(value)) return value.filter((host): host is string => typeof host === "string");
  } catch {
    // As above: the upload checks keep the column valid.
  }
  return [];
}
