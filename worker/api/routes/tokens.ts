import { OpenAPIHono, z } from "@hono/zod-openapi";
import { auditActor } from "../../access/authorize";
import { auditStatement } from "../../access/audit";
import { generateToken, hashToken, toTokenView, type TokenRow } from "../../access/tokens";
import { newId, now } from "../../ids";
import { errorResponse, jsonResponse } from "../../packages/schemas";
import type { HonoEnv } from "../context";
import { ApiError, notFound } from "../errors";
import { secureRoute } from "../secure-route";
import { validationHook } from "../validation";

const TokenSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    role: z.enum(["administrator", "owner", "admin", "user"]),
    project_id: z.string().nullable(),
    created_at: z.string(),
    created_by: z.string(),
    expires_at: z.string().nullable(),
    last_used_at: z.string().nullable(),
    revoked_at: z.string().nullable(),
  })
  .openapi("Token");

const CreatedTokenSchema = TokenSchema.extend({
  token: z.string().openapi({ description: "The token itself. It is shown only in this response." }),
}).openapi("CreatedToken");

const CreateTokenBody = z
  .object({
    name: z.string().trim().min(1).max(100),
    expires_at: z.iso
      .datetime({ offset: true })
      .optional()
      .openapi({ description: "When the token stops working; omit for a token that does not expire." }),
  })
  .strict();

const ProjectTokenBody = CreateTokenBody.extend({ role: z.enum(["owner", "admin", "user"]) }).strict();

const createAdminToken = secureRoute("workspace:admin", null, {
  method: "post",
  path: "/tokens",
  summary: "Create an administrator token",
  request: { body: { required: true, content: { "application/json": { schema: CreateTokenBody } } } },
  responses: { 201: jsonResponse(CreatedTokenSchema, "The new token, shown once."), 400: errorResponse("Invalid request.") },
});

const listTokens = secureRoute("workspace:admin", null, {
  method: "get",
  path: "/tokens",
  summary: "List every token of the workspace",
  responses: { 200: jsonResponse(z.object({ tokens: z.array(TokenSchema) }), "Tokens, newest first, without their values.") },
});

const createProjectToken = secureRoute("project:tokens", "project", {
  method: "post",
  path: "/projects/{project}/tokens",
  summary: "Create a token with a role in one project",
  request: {
    params: z.object({ project: z.string() }),
    body: { required: true, content: { "application/json": { schema: ProjectTokenBody } } },
  },
  responses: { 201: jsonResponse(CreatedTokenSchema, "The new token, shown once."), 400: errorResponse("Invalid request.") },
});

const listProjectTokens = secureRoute("project:tokens", "project", {
  method: "get",
  path: "/projects/{project}/tokens",
  summary: "List the tokens of one project",
  request: { params: z.object({ project: z.string() }) },
  responses: { 200: jsonResponse(z.object({ tokens: z.array(TokenSchema) }), "Tokens, newest first, without their values.") },
});

const revokeToken = secureRoute("project:tokens", "token", {
  method: "delete",
  path: "/tokens/{token}",
  summary: "Revoke a token",
  request: { params: z.object({ token: z.string() }) },
  responses: { 200: jsonResponse(TokenSchema, "The revoked token."), 404: errorResponse("No such token.") },
});

function checkExpiry(expiresAt: string | undefined): string | null {
  if (expiresAt === undefined) return null;
  const time = Date.parse(expiresAt);
  if (time <= Date.now()) {
    throw new ApiError(400, "invalid_request", `expires_at ${expiresAt} is in the past: give a future time.`);
  }
  return new Date(time).toISOString();
}

export function tokenRoutes() {
  const app = new OpenAPIHono<HonoEnv>({ defaultHook: validationHook });

  async function create(
    c: Parameters<Parameters<typeof app.openapi>[1]>[0],
    input: { name: string; role: TokenRow["role"]; projectId: string | null; expiresAt: string | null },
  ) {
    const principal = c.get("principal");
    const db = c.get("db");
    const token = generateToken();
    const row: TokenRow = {
      id: newId("tok"),
      workspace_id: principal.workspaceId,
      name: input.name,
      token_hash: await hashToken(token),
      role: input.role,
      project_id: input.projectId,
      created_at: now(),
      created_by: principal.id,
      expires_at: input.expiresAt,
      last_used_at: null,
      revoked_at: null,
    };

    await db.batch([
      db.prepare(
        `INSERT INTO api_tokens (id, workspace_id, name, token_hash, role, project_id, created_at, created_by, expires_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        row.id, row.workspace_id, row.name, row.token_hash, row.role, row.project_id, row.created_at, row.created_by, row.expires_at,
      ),
      auditStatement(db, [
        {
          workspaceId: principal.workspaceId,
          actor: auditActor(principal),
          action: "token.created",
          projectId: row.project_id,
          requestId: c.get("requestId"),
          detail: `token ${row.id} (${row.name}) with role ${row.role}`,
        },
      ]),
    ]);
    return { ...toTokenView(row), token };
  }

  app.openapi(createAdminToken, async (c) => {
    const body = c.req.valid("json");
    const created = await create(c, { name: body.name, role: "administrator", projectId: null, expiresAt: checkExpiry(body.expires_at) });
    return c.json(created, 201);
  });

  app.openapi(createProjectToken, async (c) => {
    const body = c.req.valid("json");
    const created = await create(c, {
      name: body.name,
      role: body.role,
      projectId: c.req.valid("param").project,
      expiresAt: checkExpiry(body.expires_at),
    });
    return c.json(created, 201);
  });

  app.openapi(listTokens, async (c) => {
    const rows = await c.get("db").all<TokenRow>(
      "SELECT * FROM api_tokens WHERE workspace_id = ? ORDER BY created_at DESC, id DESC",
      c.get("principal").workspaceId,
    );
    return c.json({ tokens: rows.map(toTokenView) }, 200);
  });

  app.openapi(listProjectTokens, async (c) => {
    const rows = await c.get("db").all<TokenRow>(
      "SELECT * FROM api_tokens WHERE workspace_id = ? AND project_id = ? ORDER BY created_at DESC, id DESC",
      c.get("principal").workspaceId,
      c.req.valid("param").project,
    );
    return c.json({ tokens: rows.map(toTokenView) }, 200);
  });

  app.openapi(revokeToken, async (c) => {
    const principal = c.get("principal");
    const db = c.get("db");
    const id = c.req.valid("param").token;
    const revokedAt = now();

    // COALESCE keeps the first revocation time when a token is revoked twice.
    const [update] = await db.batch<TokenRow>([
      db.prepare(
        "UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ? AND workspace_id = ? RETURNING *",
        revokedAt, id, principal.workspaceId,
      ),
      auditStatement(db, [
        {
          workspaceId: principal.workspaceId,
          actor: auditActor(principal),
          action: "token.revoked",
          projectId: c.get("projectId"),
          requestId: c.get("requestId"),
          detail: `token ${id}`,
        },
      ]),
    ]);
    const row = update?.results[0];
    if (row === undefined) throw notFound("Token", id);
    return c.json(toTokenView(row), 200);
  });

  return app;
}
