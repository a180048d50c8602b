import { OpenAPIHono, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { HonoEnv } from "../context";
import { secureRoute } from "../secure-route";
import { validationHook } from "../validation";

const AuditEventSchema = z
  .object({
    seq: z.number().int(),
    id: z.string(),
    at: z.string(),
    actor_type: z.enum(["token", "admin", "session", "script"]),
    actor_id: z.string(),
    actor_name: z.string().nullable(),
    action: z.string(),
    scope: z.string().nullable(),
    owner_id: z.string().nullable(),
    project_id: z.string().nullable(),
    package_id: z.string().nullable(),
    execution_id: z.string().nullable(),
    secret_name: z.string().nullable(),
    request_id: z.string().nullable(),
    detail: z.string().nullable(),
  })
  .openapi("AuditEvent");

const AuditPageSchema = z
  .object({ events: z.array(AuditEventSchema), next_cursor: z.string().nullable() })
  .openapi("AuditPage");

const AuditQuery = z.object({
  secret: z.string().optional().openapi({ description: "Only records of this secret name." }),
  package: z.string().optional().openapi({ description: "Only records of this package id." }),
  action: z.string().optional().openapi({ description: "Only this action, such as secret.read." }),
  since: z.iso.datetime({ offset: true }).optional().openapi({ description: "Records at or after this time." }),
  until: z.iso.datetime({ offset: true }).optional().openapi({ description: "Records before this time." }),
  order: z.enum(["asc", "desc"]).default("desc").openapi({ description: "Oldest or newest first." }),
  limit: z.coerce.number().int().min(1).max(500).default(100),
  cursor: z.string().regex(/^\d+$/).optional().openapi({ description: "next_cursor of the previous page." }),
});

const page = { 200: { description: "One page of the trail.", content: { "application/json": { schema: AuditPageSchema } } } };

const listAudit = secureRoute("workspace:admin", null, {
  method: "get",
  path: "/audit",
  summary: "Read the workspace's audit trail",
  request: { query: AuditQuery },
  responses: page,
});

const listProjectAudit = secureRoute("project:audit", "project", {
  method: "get",
  path: "/projects/{project}/audit",
  summary: "Read one project's part of the audit trail",
  request: { params: z.object({ project: z.string() }), query: AuditQuery },
  responses: page,
});

type AuditEvent = z.infer<typeof AuditEventSchema>;

async function readTrail(c: Context<HonoEnv>, query: z.infer<typeof AuditQuery>, projectId: string | null) {
  const conditions = ["workspace_id = ?"];
  const values: unknown[] = [c.get("principal").workspaceId];
  const add = (condition: string, value: unknown) => {
    conditions.push(condition);
    values.push(value);
  };

  if (projectId !== null) add("project_id = ?", projectId);
  if (query.secret !== undefined) add("secret_name = ?", query.secret);
  if (query.package !== undefined) add("package_id = ?", query.package);
  if (query.action !== undefined) add("action = ?", query.action);
  if (query.since !== undefined) add("at >= ?", new Date(query.since).toISOString());
  if (query.until !== undefined) add("at < ?", new Date(query.until).toISOString());
  if (query.cursor !== undefined) add(query.order === "asc" ? "seq > ?" : "seq < ?", Number(query.cursor));

  // One row past the page shows whether another page follows.
  const rows = await c.get("db").all<AuditEvent>(
    `SELECT * FROM audit_events WHERE ${conditions.join(" AND ")} ORDER BY seq ${query.order} LIMIT ?`,
    ...values,
    query.limit + 1,
  );
  const events = rows.slice(0, query.limit);
  const last = events.at(-1);
  const nextCursor = rows.length > query.limit && last !== undefined ? String(last.seq) : null;
  return { events, next_cursor: nextCursor };
}

export function auditRoutes() {
  const app = new OpenAPIHono<HonoEnv>({ defaultHook: validationHook });

  app.openapi(listAudit, async (c) => c.json(await readTrail(c, c.req.valid("query"), null), 200));
  app.openapi(listProjectAudit, async (c) =>
    c.json(await readTrail(c, c.req.valid("query"), c.req.valid("param").project), 200),
  );

  return app;
}
