/**
 * Per-route authorization. Every route declares one permission; `requires` resolves the
 * route's target (a project, package or execution id in the path) to its project inside the
 * caller's workspace, then checks the caller's role.
 *
 * - An object of another workspace, or of a project the caller has no role in, is 404: ids
 *   never reveal that an object exists.
 * - A role too low is 403, and the refusal is recorded in the audit trail.
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

export function requires(permission: Permission, target?: Target) {
  return createMiddleware<HonoEnv>(async (c, next) => {
    if (permission === "public") return next();

    const principal = c.get("principal");
    let projectId: string | null = null;

    if (target !== undefined) {
      const id = c.req.param(target) ?? "";
      const { what, sql } = TARGET_QUERIES[target];
      const row = await c.get("db").first<{ project_id: string | null }>(sql, id, principal.workspaceId);
      const visible = row !== null && (row.project_id === null ? principal.role === "administrator" : canSeeProject(principal, row.project_id));
      if (!visible) throw notFound(what, id);
      projectId = row.project_id;
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
