/**
 * One execution from start to end: its steps run in order, each in its own dynamic worker, and
 * every state change is written to D1 through a counting Db. The statements a run issues do
 * not depend on how many secrets its scripts read, because lookups never go to D1.
 */
import { auditStatement, type AuditRecord } from "../access/audit";
import { importPlatformKey, type PlatformKey } from "../crypto/envelope";
import { Db } from "../db";
import { now } from "../ids";
import type { AppEnv } from "../env";
import type { RunEvent } from "./event";
import { runStep, type SandboxExports, type StepFailureReason, type StepOutcome } from "./step";
import { RunSecrets, type ReadRecorder } from "./vault";

/** The execution that an Executor is running now; the bridge's calls resolve against it. */
export interface ActiveRun {
  event: RunEvent;
  db: Db;
  secrets: RunSecrets;
  /** The position of the step in progress, or null between steps. */
  position: number | null;
}

export interface RunHooks {
  /** Called before a step starts, so the executor can persist which step is running. */
  beforeStep(position: number): Promise<void>;
  /** The audit records of secret reads kept so far, to write to D1 with the step's result. */
  pendingAudit(): Promise<AuditRecord[]>;
  /** Called once those records are in D1, so the executor can drop its copies. */
  auditWritten(): Promise<void>;
}

export type ExecutionFailureReason = "step_failed" | "timeout" | "integrity" | "interrupted";

export function createActiveRun(env: AppEnv, event: RunEvent, recordRead: ReadRecorder): ActiveRun {
  const db = new Db(env.DB);
  let platformKey: Promise<PlatformKey> | null = null;
  const secrets = new RunSecrets(event, () => (platformKey ??= importPlatformKey(env.PLATFORM_KEY)), db, recordRead);
  return { event, db, secrets, position: null };
}

/**
 * Runs every step of the active execution and records the outcome. A failing step does not
 * make it throw, but a D1 failure does.
 */
export async function runExecution(
  env: AppEnv,
  exports: SandboxExports,
  run: ActiveRun,
  hooks: RunHooks,
): Promise<"completed" | "failed"> {
  const { event, db } = run;
  await db.run(
    "UPDATE executions SET status = 'in_progress', started_at = ? WHERE id = ? AND workspace_id = ?",
    now(),
    event.executionId,
    event.workspaceId,
  );

  let failure: ExecutionFailureReason | null = null;
  for (const step of event.steps) {
    if (failure !== null) break;

    await hooks.beforeStep(step.position);
    run.position = step.position;
    run.secrets.beginStep();
    await db.run(
      "UPDATE steps SET status = 'in_progress', started_at = ? WHERE execution_id = ? AND position = ? AND workspace_id = ?",
      now(),
      event.executionId,
      step.position,
      event.workspaceId,
    );

    let outcome: StepOutcome;
    try {
      outcome = await runStep({ loader: env.LOADER, exports, event, secrets: run.secrets }, step);
    } catch (error) {
      // A defect of the executor, not of the script: log it, and fail the step without detail.
      console.error(JSON.stringify({ event: "step_crashed", executionId: event.executionId, position: step.position, error: String(error) }));
      outcome = { status: "failed", failureReason: "error", output: [], truncated: false, error: { message: "The executor failed to run this step.", stack: "" } };
    }
    run.position = null;

    await finishStep(db, event, step.position, outcome, run.secrets.stepProvenance(), await hooks.pendingAudit());
    await hooks.auditWritten();
    if (outcome.status === "failed") failure = executionReason(outcome.failureReason);
  }

  if (failure !== null) await markRemainingUnprocessed(db, event);
  await finishExecution(db, event, failure);
  return failure === null ? "completed" : "failed";
}

export function executionReason(stepReason: StepFailureReason | null): ExecutionFailureReason {
  if (stepReason === "timeout" || stepReason === "integrity" || stepReason === "interrupted") return stepReason;
  return "step_failed";
}

export async function finishStep(
  db: Db,
  event: Pick<RunEvent, "executionId" | "workspaceId">,
  position: number,
  outcome: StepOutcome,
  provenance: unknown[],
  audit: AuditRecord[],
): Promise<void> {
  // The step's result and the audit records of its secret reads are one transaction.
  const statements = [stepUpdate(db, event, position, outcome, provenance)];
  if (audit.length > 0) statements.push(...auditStatements(db, audit));
  await db.batch(statements);
}

/** Reads per audit statement: keeps the one JSON parameter well under D1's 2 MB value limit. */
const AUDIT_RECORDS_PER_STATEMENT = 1000;

function auditStatements(db: Db, records: AuditRecord[]): D1PreparedStatement[] {
  const statements: D1PreparedStatement[] = [];
  for (let start = 0; start < records.length; start += AUDIT_RECORDS_PER_STATEMENT) {
    statements.push(auditStatement(db, records.slice(start, start + AUDIT_RECORDS_PER_STATEMENT)));
  }
  return statements;
}

function stepUpdate(
  db: Db,
  event: Pick<RunEvent, "executionId" | "workspaceId">,
  position: number,
  outcome: StepOutcome,
  provenance: unknown[],
): D1PreparedStatement {
  return db.prepare(
    "UPDATE steps SET status = ?, output = ?, output_truncated = ?, error = ?, failure_reason = ?, provenance = ?, finished_at = ? " +
      "WHERE execution_id = ? AND position = ? AND workspace_id = ?",
    outcome.status,
    JSON.stringify(outcome.output),
    outcome.truncated ? 1 : 0,
    outcome.error === null ? null : JSON.stringify(outcome.error),
    outcome.failureReason,
    JSON.stringify(provenance),
    now(),
    event.executionId,
    position,
    event.workspaceId,
  );
}

export async function markRemainingUnprocessed(db: Db, event: Pick<RunEvent, "executionId" | "workspaceId">): Promise<void> {
  await db.run(
    "UPDATE steps SET status = 'unprocessed' WHERE execution_id = ? AND workspace_id = ? AND status IN ('pending', 'in_progress')",
    event.executionId,
    event.workspaceId,
  );
}

export async function finishExecution(
  db: Db,
  event: Pick<RunEvent, "executionId" | "workspaceId" | "apiStatements" | "packageId" | "packageName" | "projectId">,
  failure: ExecutionFailureReason | null,
): Promise<void> {
  const status = failure === null ? "completed" : "failed";
  // The count includes this final batch of two statements.
  const d1Queries = event.apiStatements + db.statements + 2;
  await db.batch([
    db.prepare(
      "UPDATE executions SET status = ?, failure_reason = ?, finished_at = ?, d1_queries = ? WHERE id = ? AND workspace_id = ?",
      status,
      failure,
      now(),
      d1Queries,
      event.executionId,
      event.workspaceId,
    ),
    auditStatement(db, [
      {
        workspaceId: event.workspaceId,
        actor: { type: "script", id: event.executionId, name: event.packageName },
        action: "run.finished",
        projectId: event.projectId,
        packageId: event.packageId,
        executionId: event.executionId,
        detail: failure === null ? status : `${status}: ${failure}`,
      },
    ]),
  ]);
}
