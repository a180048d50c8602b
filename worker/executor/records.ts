/**
 * Reading executions and steps back for the API. Every query filters by workspace id, so an
 * id from another workspace reads as absent. No import of "cloudflare:workers" here.
 */
import type { Db } from "../db";

interface ExecutionRow {
  id: string;
  package_id: string;
  package_name: string;
  project_id: string;
  status: string;
  trigger: string;
  params: string;
  failure_reason: string | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  d1_queries: number | null;
}

interface StepRow {
  position: number;
  file_name: string;
  status: string;
  output: string;
  output_truncated: number;
  error: string | null;
  failure_reason: string | null;
  provenance: string;
  started_at: string | null;
  finished_at: string | null;
}

const EXECUTION_COLUMNS =
  "id, package_id, package_name, project_id, status, trigger, params, failure_reason, created_at, started_at, finished_at, d1_queries";

export function executionBody(row: ExecutionRow) {
  return {
    id: row.id,
    package_id: row.package_id,
    package_name: row.package_name,
    project_id: row.project_id,
    status: row.status as "pending" | "in_progress" | "completed" | "failed",
    trigger: row.trigger as "manual",
    params: JSON.parse(row.params) as Record<string, unknown>,
    failure_reason: row.failure_reason,
    created_at: row.created_at,
    started_at: row.started_at,
    finished_at: row.finished_at,
    duration_ms: durationMs(row.started_at, row.finished_at),
    d1_queries: row.d1_queries,
  };
}

export type ExecutionBody = ReturnType<typeof executionBody>;

function durationMs(startedAt: string | null, finishedAt: string | null): number | null {
  if (startedAt === null || finishedAt === null) return null;
  return Math.max(0, Date.parse(finishedAt) - Date.parse(startedAt));
}

/** Returns the execution with its steps summary, or null when it is not in the workspace. */
export async function readExecution(db: Db, workspaceId: string, executionId: string) {
  return executionFromResults(await db.batch(executionQueries(db, workspaceId, executionId)));
}

/** Builds the two reads of an execution and its steps, for `executionFromResults`. */
export function executionQueries(db: Db, workspaceId: string, executionId: string): D1PreparedStatement[] {
  return [
    db.prepare(`SELECT ${EXECUTION_COLUMNS} FROM executions WHERE id = ? AND workspace_id = ?`, executionId, workspaceId),
    db.prepare(
      "SELECT position, file_name, status, started_at, finished_at FROM steps WHERE execution_id = ? AND workspace_id = ? ORDER BY position",
      executionId,
      workspaceId,
    ),
  ];
}

/** Builds the execution with its steps summary from the results of `executionQueries`. */
export function executionFromResults(results: D1Result[]) {
  const [executions, steps] = results;
  const row = executions!.results[0] as ExecutionRow | undefined;
  if (row === undefined) return null;
  const stepRows = steps!.results as Pick<StepRow, "position" | "file_name" | "status" | "started_at" | "finished_at">[];
  return {
    ...executionBody(row),
    steps: stepRows.map((step) => ({
      position: step.position,
      file_name: step.file_name,
      status: step.status as StepStatus,
      started_at: step.started_at,
      finished_at: step.finished_at,
    })),
  };
}

export type ExecutionDetails = NonNullable<ReturnType<typeof executionFromResults>>;

export type StepStatus = "pending" | "in_progress" | "completed" | "failed" | "unprocessed";

/** Reads one page of a package's executions, newest first. */
export async function listExecutions(db: Db, workspaceId: string, packageId: string, limit: number, cursor: Cursor | null) {
  const rows = cursor
    ? await db.all<ExecutionRow>(
        `SELECT ${EXECUTION_COLUMNS} FROM executions WHERE workspace_id = ? AND package_id = ? AND (created_at, id) < (?, ?) ` +
          "ORDER BY created_at DESC, id DESC LIMIT ?",
        workspaceId,
        packageId,
        cursor.createdAt,
        cursor.id,
        limit + 1,
      )
    : await db.all<ExecutionRow>(
        `SELECT ${EXECUTION_COLUMNS} FROM executions WHERE workspace_id = ? AND package_id = ? ORDER BY created_at DESC, id DESC LIMIT ?`,
        workspaceId,
        packageId,
        limit + 1,
      );

  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  const nextCursor = rows.length > limit && last ? encodeCursor({ createdAt: last.created_at, id: last.id }) : null;
  return { executions: page.map(executionBody), next_cursor: nextCursor };
}

export interface Cursor {
  createdAt: string;
  id: string;
}

export function encodeCursor(cursor: Cursor): string {
  return btoa(JSON.stringify([cursor.createdAt, cursor.id])).replace(/=+$/, "");
}

/** Decodes a cursor from the previous page, or returns null when it is malformed. */
export function decodeCursor(text: string): Cursor | null {
  try {
    const padded = text + "=".repeat((4 - (text.length % 4)) % 4);
    const value: unknown = JSON.parse(atob(padded));
    if (Array.isArray(value) && value.length === 2 && typeof value[0] === "string" && typeof value[1] === "string") {
      return { createdAt: value[0], id: value[1] };
    }
  } catch {
    // Falls through to null, and the route returns 400.
  }
  return null;
}

/** Returns one step's results, or null when the execution or step is not in the workspace. */
export async function readStep(db: Db, workspaceId: string, executionId: string, position: number) {
  const row = await db.first<StepRow>(
    "SELECT position, file_name, status, output, output_truncated, error, failure_reason, provenance, started_at, finished_at " +
      "FROM steps WHERE execution_id = ? AND position = ? AND workspace_id = ?",
    executionId,
    position,
    workspaceId,
  );
  if (row === null) return null;
  return {
    position: row.position,
    file_name: row.file_name,
    status: row.status as StepStatus,
    output: JSON.parse(row.output) as { stream: "log" | "info" | "warn" | "error"; time: string; text: string }[],
    output_truncated: row.output_truncated === 1,
    error: row.error === null ? null : (JSON.parse(row.error) as { message: string; stack: string }),
    failure_reason: row.failure_reason as "timeout" | "error" | "integrity" | "interrupted" | null,
    provenance: JSON.parse(row.provenance) as { name: string; scope: "package" | "project" | "platform"; action: "read" | "write" }[],
    started_at: row.started_at,
    finished_at: row.finished_at,
  };
}
