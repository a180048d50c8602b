/**
 * Tokens and workspaces for access-control tests: tokens made through the API, and rows
 * written straight into D1 where the API rightly refuses to make them (an expired token, a
 * token of another workspace).
 */
import { env } from "cloudflare:test";
import { sha256Hex } from "../../worker/crypto/encoding";
import { api, expectJson } from "./api";

export interface CreatedToken {
  id: string;
  token: string;
  role: string;
  project_id: string | null;
}

/** Creates a token with a role in one project, as the test administrator. */
export async function createProjectToken(projectId: string, role: "owner" | "admin" | "user", name = `${role} token`) {
  return expectJson<CreatedToken>(await api("POST", `/projects/${projectId}/tokens`, { name, role }), 201);
}

/** Inserts a token row directly, for states the API does not create. Returns the token text. */
export async function insertToken(options: {
  workspaceId: string;
  role: "administrator" | "owner" | "admin" | "user";
  projectId?: string | null;
  expiresAt?: string | null;
}): Promise<{ id: string; token: string }> {
  const id = `tok_test${crypto.randomUUID().replaceAll("-", "").slice(0, 16)}`;
  const token = `fe_test_${crypto.randomUUID()}`;
  await env.DB.prepare(
    `INSERT INTO api_tokens (id, workspace_id, name, token_hash, role, project_id, created_at, created_by, expires_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, 'test', ?)`,
  )
    .bind(id, options.workspaceId, `test ${options.role}`, await sha256Hex(token), options.role, options.projectId ?? null, new Date().toISOString(), options.expiresAt ?? null)
    .run();
  return { id, token };
}

/** Inserts a second local workspace and returns its id. */
export async function insertWorkspace(): Promise<string> {
  const id = `ws_test${crypto.randomUUID().replaceAll("-", "").slice(0, 12)}`;
  const at = new Date().toISOString();
  await env.DB.prepare("INSERT INTO workspaces (id, name, kind, created_at, last_used_at) VALUES (?, ?, 'local', ?, ?)")
    .bind(id, "other workspace", at, at)
    .run();
  return id;
}

export function bearer(token: string) {
  return { headers: { authorization: `Bearer ${token}` } };
}
