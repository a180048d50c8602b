/**
 * Per-route authorization. Every route declares one permission. `requires` resolves the
 * route's target (a project, package or execution id in the path) to its project inside the
 * caller's workspace, then checks the caller's role.
 *
 * - An object of another workspace, or of a project the caller has no role in, is 404: ids
 *   never reveal that an object exists.
 * - A role too low is 403, and the rejection is recorded in the audit trail.
 */
import { createMiddleware } from "hono/factory";
import type { HonoEnv } from "../api/context";
import { ApiError, notFound } from "../api/errors";
import { appendAudit } from "./audit";
import { allows, canSeeProject, isProjectPermission, type Permission, type Principal } from "./roles";

/** The path parameter that names the route's target. */
export type Target = "project" | "package" | "execution" | "token";

const TARGET_QUERIES: Record<Target, { what: string; sql: string }> = {
  project: { what: "Project", sql: "SELECT id AS project_id FROM projects WHERE id = ? AND workspace_id = ?" },
  package: { what: "Package", sql: "SELECT project_id FROM packages WHERE id = ? AND workspace_id = ?" },
  execution: { what: "Execution", sql: "SELECT project_id FROM executions WHERE id = ? AND workspace_id = ?" },
  // An administrator token has no project, so only administrators can see it.
  token: { what: "Token", sql: "SELECT project_id FROM api_tokens WHERE id = ? AND workspace_id = ?" },
};

export function auditActor(principal: Principal) {
  return { type: principal.kind, id: principal.id, name: principal.name };
}

/** Column lists that a route may ask `requires` to read with the target's row. */
const COLUMN_LIST = /^[a-z_]+(, [a-z_]+)*$/;

/**
 * Builds the middleware. With `columns`, the target's query reads those columns as well, and
 * the row (with the same workspace filter) is set as `target`, so the route need not read it again.
 */
export function requires(permission: Permission, target?: Target, columns?: string) {
  if (columns !== undefined && (target === undefined || !COLUMN_LIST.test(columns))) {
    throw new Error(`requires(${permission}): columns need a target and must be a list such as "id, name", not ${JSON.stringify(columns)}.`);
  }

  return createMiddleware<HonoEnv>(async (c, next) => {
    if (permission === "public") return next();

    const principal = c.get("principal");
    let projectId: string | null = null;

    if (target !== undefined) {
      const id = c.req.param(target) ?? "";
      const { what, sql } = TARGET_QUERIES[target];
      const query = columns === undefined ? sql : sql.replace(/^SELECT /, `SELECT ${columns}, `);
      const row = await c.get("db").first<{ project_id: string | null }>(query, id, principal.workspaceId);
      const visible = row !== null && (row.project_id === null ? principal.role === "administrator" : canSeeProject(principal, row.project_id));
      if (!visible) throw notFound(what, id);
      projectId = row.project_id;
      if (columns !== undefined) c.set("target", row);
    } else if (isProjectPermission(permission)) {
      throw new Error(`A route that requires ${permission} must name its target.`);
    }

    if (!allows(principal, permission, projectId)) {
      await appendAudit(c.get("db"), [
        {
          workspaceId: principal.workspaceId,
          actor: auditActor(principal),
          action: "auth.failed",
          projectId,
          requestId: c.get("requestId"),
          detail: `${c.req.method} ${c.req.routePath} requires ${permission}; role ${principal.role}`,
        },
      ]);
      throw new ApiError(
        403,
        "forbidden",
        `This action requires the ${permission} permission, which the ${principal.role} role does not have.`,
      );
    }

    c.set("projectId", projectId);
    await next();
  });
}
