/**
 * Test setup for the executor: packages inserted straight into D1, and runs started the way
 * the API starts them (startExecution, then the package's Executor by RPC). Executor tests so
 * exercise the real Durable Object, Worker Loader and D1 without the HTTP layer.
 */
import { env } from "cloudflare:test";
import { importPlatformKey, type Scope } from "../worker/crypto/envelope";
import { Db } from "../worker/db";
import type { Executor } from "../worker/executor/executor";
import type { JsonValue } from "../worker/executor/event";
import { readExecution, readStep } from "../worker/executor/records";
import { RUNNABLE_PACKAGE_COLUMNS, startExecution, type RunnablePackage } from "../worker/executor/start";
import { newId, now } from "../worker/ids";
import { writeSecrets } from "../worker/secrets/store";

export const WORKSPACE_ID = "ws_local";

/** Who starts the runs that tests start directly, as their audit records show. */
export const TEST_TRIGGER = { actor: { type: "admin" as const, id: "admin", name: "test" }, requestId: "test-request" };

export interface SeedOptions {
  scripts: { name: string; source: string }[];
  secrets?: Partial<Record<Scope, Record<string, JsonValue>>>;
  timeoutMs?: number;
  allowedHosts?: string[];
  entrypoint?: string | null;
  config?: Record<string, JsonValue>;
  /** Reuse a project, so that its secrets are shared by several packages. */
  projectId?: string;
}

export interface SeededPackage {
  packageId: string;
  projectId: string;
}

export async function seedPackage(options: SeedOptions): Promise<SeededPackage> {
  const projectId = options.projectId ?? newId("prj");
  const packageId = newId("pkg");
  const time = now();
  const statements: D1PreparedStatement[] = [];
  if (options.projectId === undefined) {
    statements.push(
      env.DB.prepare("INSERT INTO projects (id, workspace_id, name, created_at, updated_at) VALUES (?, ?, ?, ?, ?)").bind(
        projectId,
        WORKSPACE_ID,
        `project-${projectId}`,
        time,
        time,
      ),
    );
  }
  statements.push(
    env.DB.prepare(
      "INSERT INTO packages (id, workspace_id, project_id, name, config, entrypoint, timeout_ms, allowed_hosts, created_at, updated_at) " +
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    ).bind(
      packageId,
      WORKSPACE_ID,
      projectId,
      `package-${packageId}`,
      JSON.stringify(options.config ?? {}),
      options.entrypoint ?? null,
      options.timeoutMs ?? 10_000,
      JSON.stringify(options.allowedHosts ?? []),
      time,
      time,
    ),
  );
  options.scripts.forEach((script, index) => {
    statements.push(
      env.DB.prepare(
        "INSERT INTO scripts (workspace_id, package_id, position, file_name, source, sha256, size, updated_at) VALUES (?, ?, ?, ?, ?, '', ?, ?)",
      ).bind(WORKSPACE_ID, packageId, index + 1, script.name, script.source, script.source.length, time),
    );
  });
  await env.DB.batch(statements);

  const owners: Record<Scope, string> = { package: packageId, project: projectId, platform: WORKSPACE_ID };
  for (const scope of ["package", "project", "platform"] as const) {
    const values = options.secrets?.[scope];
    if (values === undefined) continue;
    await putSecrets(scope, owners[scope], values);
  }
  return { packageId, projectId };
}

export async function putSecrets(scope: Scope, ownerId: string, values: Record<string, JsonValue>): Promise<void> {
  const platform = await importPlatformKey(env.PLATFORM_KEY);
  const entries = Object.entries(values).map(([name, value]) => ({ name, json: JSON.stringify(value) }));
  await writeSecrets(new Db(env.DB), platform, { workspaceId: WORKSPACE_ID, scope, ownerId }, entries, {
    replace: false,
    actor: "admin",
  });
}

export function executorOf(packageId: string): DurableObjectStub<Executor> {
  const namespace = env.EXECUTOR as unknown as DurableObjectNamespace<Executor>;
  return namespace.get(namespace.idFromName(packageId));
}

/** Starts a run as the API does and returns its execution id, without waiting. */
export async function startRun(packageId: string, params: Record<string, JsonValue> = {}): Promise<string> {
  const db = new Db(env.DB);
  const pkg = await db.first<RunnablePackage>(
    `SELECT ${RUNNABLE_PACKAGE_COLUMNS} FROM packages WHERE id = ? AND workspace_id = ?`,
    packageId,
    WORKSPACE_ID,
  );
  if (pkg === null) throw new Error(`package ${packageId} is missing`);
  const event = await startExecution(db, WORKSPACE_ID, pkg, params, TEST_TRIGGER);
  await executorOf(packageId).enqueue(event);
  return event.executionId;
}

export type RunResult = NonNullable<Awaited<ReturnType<typeof readExecution>>> & {
  stepResults: NonNullable<Awaited<ReturnType<typeof readStep>>>[];
};

/** Runs the package to its end and returns the execution with every step's results. */
export async function runToEnd(packageId: string, params: Record<string, JsonValue> = {}): Promise<RunResult> {
  const executionId = await startRun(packageId, params);
  await executorOf(packageId).wait(executionId);
  return readRun(executionId);
}

export async function readRun(executionId: string): Promise<RunResult> {
  const db = new Db(env.DB);
  const execution = await readExecution(db, WORKSPACE_ID, executionId);
  if (execution === null) throw new Error(`execution ${executionId} is missing`);
  const stepResults = [];
  for (const step of execution.steps) {
    const result = await readStep(db, WORKSPACE_ID, executionId, step.position);
    if (result !== null) stepResults.push(result);
  }
  return { ...execution, stepResults };
}

/** Joins a step's output texts, one line per entry. */
export function outputText(run: RunResult, index = 0): string {
  return (run.stepResults[index]?.output ?? []).map((line) => line.text).join("\n");
}
