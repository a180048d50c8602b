/**
 * One execution from start to end: its steps run in order, each in its own dynamic worker, and
 * every state change is written to D1 through a counting Db. The statements a run issues do
 * not depend on how many secrets its scripts read, because lookups never go to D1.
 */
import { auditStatement, type AuditRecord } from "../access/audit";
import { importPlatformKeyring, type PlatformKeyring } from "../crypto/envelope";
import { Db } from "../db";
import { now } from "../ids";
import type { AppEnv } from "../env";
import type { RunEvent } from "./event";
import { executionFromResults, executionQueries, type ExecutionDetails } from "./records";
import { StepCapability, type StepCalls } from "./capability";
import { runStep, type SandboxExports, type StepFailureReason, type StepOutcome } from "./step";
import { RunSecrets, type ReadRecorder } from "./vault";

/** The execution that an Executor is running now; capability calls resolve against it. */
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
  /** Serves the calls of each step's capability. */
  stepCalls: StepCalls;
  /**
   * Returns the audit records of the secret reads kept since the last call, to write to D1
   * with the step's result, and hands them over: the next `auditWritten` drops them.
   */
  takeAudit(): AuditRecord[];
  /** Called once the records that `takeAudit` returned are in D1, so the executor can drop its copies. */
  auditWritten(): void;
  /** Whether a caller waits for the run's end, so the last batch should read the execution back. */
  resultWanted(): boolean;
}

export type ExecutionFailureReason = "step_failed" | "timeout" | "integrity" | "interrupted";

export function createActiveRun(env: AppEnv, event: RunEvent, recordRead: ReadRecorder): ActiveRun {
  const db = new Db(env.DB);
  let platformKeys: Promise<PlatformKeyring> | null = null;
  const secrets = new RunSecrets(event, () => (platformKeys ??= importPlatformKeyring(env)), db, recordRead);
  return { event, db, secrets, position: null };
}

/**
 * Runs every step of the active execution and records the outcome. A failing step does not
 * make it throw, but a D1 failure does.
 *
 * Each D1 round trip carries the end of one stage and the start of the next. The execution's
 * start goes with step 1's start, and each step's result (with its audit records) with the
 * next step's start or with the execution's end. So a polled status never shows a gap between
 * stages, and a run of n steps costs n + 1 round trips besides the script's own calls.
 */
export async function runExecution(
  env: AppEnv,
  exports: SandboxExports,
  run: ActiveRun,
  hooks: RunHooks,
): Promise<ExecutionDetails | null> {
  const { event, db } = run;
  let carried: D1PreparedStatement[] = [executionStarted(db, event)];

  let failure: ExecutionFailureReason | null = null;
  for (const step of event.steps) {
    await hooks.beforeStep(step.position);
    run.position = step.position;
    run.secrets.beginStep();
    await db.batch([...carried, stepStarted(db, event, step.position)]);
    hooks.auditWritten();

    let outcome: StepOutcome;
    try {
      const capability = new StepCapability(hooks.stepCalls, { executionId: event.executionId, position: step.position });
      outcome = await runStep({ loader: env.LOADER, exports, event, secrets: run.secrets, capability }, step);
    } catch (error) {
      // A defect of the executor, not of the script: log it, and fail the step without detail.
      console.error(JSON.stringify({ event: "step_crashed", executionId: event.executionId, position: step.position, error: String(error) }));
      outcome = { status: "failed", failureReason: "error", output: [], truncated: false, error: { message: "The executor failed to run this step.", stack: "" } };
    }
    run.position = null;

    carried = stepFinished(db, event, step.position, outcome, run.secrets.stepProvenance(), hooks.takeAudit());
    if (outcome.status === "failed") {
      failure = executionReason(outcome.failureReason);
      break;
    }
  }

  if (failure !== null) carried.push(remainingUnprocessed(db, event));
  const finish = executionFinished(db, event, failure, carried);

  // For a waiting caller, the same batch reads the finished execution back. These reads serve
  // the response, as the API's own read did, so the stored d1_queries does not count them.
  const reads = hooks.resultWanted() ? executionQueries(db, event.workspaceId, event.executionId) : [];
  const results = await db.batch([...finish, ...reads]);
  hooks.auditWritten();
  return reads.length === 0 ? null : executionFromResults(results.slice(finish.length));
}

function executionStarted(db: Db, event: Pick<RunEvent, "executionId" | "workspaceId">): D1PreparedStatement {
  return db.prepare(
    "UPDATE executions SET status = 'in_progress', started_at = ? WHERE id = ? AND workspace_id = ?",
    now(),
    event.executionId,
    event.workspaceId,
  );
}

function stepStarted(db: Db, event: Pick<RunEvent, "executionId" | "workspaceId">, position: number): D1PreparedStatement {
  return db.prepare(
    "UPDATE steps SET status = 'in_progress', started_at = ? WHERE execution_id = ? AND position = ? AND workspace_id = ?",
    now(),
    event.executionId,
    position,
    event.workspaceId,
  );
}

export function executionReason(stepReason: StepFailureReason | null): ExecutionFailureReason {
  if (stepReason === "timeout" || stepReason === "integrity" || stepReason === "interrupted") return stepReason;
  return "step_failed";
}

/** Builds the statements of a step's result and the audit records of its secret reads. */
export function stepFinished(
  db: Db,
  event: Pick<RunEvent, "executionId" | "workspaceId">,
  position: number,
  outcome: StepOutcome,
  provenance: unknown[],
  audit: AuditRecord[],
): D1PreparedStatement[] {
  // They go to D1 in one batch, so the result and its audit records are one transaction.
  const statements = [stepUpdate(db, event, position, outcome, provenance)];
  if (audit.length > 0) statements.push(...auditStatements(db, audit));
  return statements;
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

export function remainingUnprocessed(db: Db, event: Pick<RunEvent, "executionId" | "workspaceId">): D1PreparedStatement {
  return db.prepare(
    "UPDATE steps SET status = 'unprocessed' WHERE execution_id = ? AND workspace_id = ? AND status IN ('pending', 'in_progress')",
    event.executionId,
    event.workspaceId,
  );
}

/**
 * Builds the execution's last batch: the `carried` statements (the last step's result), the
 * execution's end and its audit record. The d1_queries it stores counts this batch too.
 */
export function executionFinished(
  db: Db,
  event: Pick<RunEvent, "executionId" | "workspaceId" | "apiStatements" | "packageId" | "packageName" | "projectId">,
  failure: ExecutionFailureReason | null,
  carried: D1PreparedStatement[],
): D1PreparedStatement[] {
  const status = failure === null ? "completed" : "failed";
  const d1Queries = event.apiStatements + db.statements + carried.length + 2;
  return [
    ...carried,
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
  ];
}
