/**
 * One execution from start to end: its steps run in order, each in its own dynamic worker, and
 * every state change is written to D1 through a counting Db. The statements a run issues do
 * not depend on how many secrets its scripts read, because lookups never go to D1.
 */
import { importPlatformKey, type PlatformKey } from "../crypto/envelope";
import { Db } from "../db";
import { now } from "../ids";
import type { AppEnv } from "../env";
import type { RunEvent } from "./event";
import { runStep, type SandboxExports, type StepFailureReason, type StepOutcome } from "./step";
import { RunSecrets } from "./vault";

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
}

export type ExecutionFailureReason = "step_failed" | "timeout" | "integrity" | "interrupted";

export function createActiveRun(env: AppEnv, event: RunEvent): ActiveRun {
  const db = new Db(env.DB);
  let platformKey: Promise<PlatformKey> | null = null;
  const secrets = new RunSecrets(event, () => (platformKey ??= importPlatformKey(env.PLATFORM_KEY)), db);
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

    await finishStep(db, event, step.position, outcome, run.secrets.stepProvenance());
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
): Promise<void> {
  await db.run(
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
  event: Pick<RunEvent, "executionId" | "workspaceId" | "apiStatements">,
  failure: ExecutionFailureReason | null,
): Promise<void> {
  // The count includes this final statement itself.
  const d1Queries = event.apiStatements + db.statements + 1;
  await db.run(
    "UPDATE executions SET status = ?, failure_reason = ?, finished_at = ?, d1_queries = ? WHERE id = ? AND workspace_id = ?",
    failure === null ? "completed" : "failed",
    failure,
    now(),
    d1Queries,
    event.executionId,
    event.workspaceId,
  );
}
