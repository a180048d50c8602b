/**
 * Authentication: turns a request's credential into a Principal.
 *
 * - The bootstrap admin token (the ADMIN_TOKEN secret) is the first administrator of the
 *   local workspace; it creates the other tokens.
 * - API tokens (`fe_…`) are looked up by their SHA-256; revoked and expired tokens are 401.
 * - A playground session cookie makes the visitor the administrator of its own workspace.
 *
 * Every failed authentication is recorded in the audit trail and counted per client address,
 * so that guessing tokens runs into 429 quickly.
 */
import type { Context } from "hono";
import type { HonoEnv } from "../api/context";
import { ApiError } from "../api/errors";
import { now } from "../ids";
import { appendAudit } from "./audit";
import { enforceRateLimit } from "./rate-limit";
import type { Principal } from "./roles";
import { findToken, looksLikeToken, principalOf, shouldTouch, tokenRejection } from "./tokens";

/** The workspace that the bootstrap admin token acts in; the initial migration creates it. */
export const LOCAL_WORKSPACE_ID = "ws_local";

/** Compares two strings in time that depends only on their lengths. */
export async function constantTimeEqual(a: string, b: string): Promise<boolean> {
  // Hashing first gives both sides one length, so the comparison leaks nothing of either.
  const encoder = new TextEncoder();
  const [hashA, hashB] = await Promise.all([
    crypto.subtle.digest("SHA-256", encoder.encode(a)),
    crypto.subtle.digest("SHA-256", encoder.encode(b)),
  ]);
  return crypto.subtle.timingSafeEqual(hashA, hashB);
}

export function clientAddress(c: Context<HonoEnv>): string {
  return c.req.header("cf-connecting-ip") ?? "unknown";
}

async function rejectAuthentication(c: Context<HonoEnv>, workspaceId: string, detail: string, message: string): Promise<never> {
  await appendAudit(c.get("db"), [
    {
      workspaceId,
      actor: { type: "token", id: "unknown" },
      action: "auth.failed",
      requestId: c.get("requestId"),
      detail,
    },
  ]);
  await enforceRateLimit(
    c.env.AUTH_FAILURE_RATE_LIMIT,
    clientAddress(c),
    "Too many failed authentications from this address: wait a minute before trying again.",
  );
  throw new ApiError(401, "unauthorized", message);
}

/** Resolves a bearer token to its principal, or raises 401 (or 429 after many failures). */
export async function principalForBearer(c: Context<HonoEnv>, token: string): Promise<Principal> {
  const adminToken = c.env.ADMIN_TOKEN;
  if (!adminToken) {
    console.error(JSON.stringify({ event: "admin_token_missing", requestId: c.get("requestId") }));
    throw new ApiError(503, "not_configured", "ADMIN_TOKEN is not set on this deployment: set it with `wrangler secret put ADMIN_TOKEN`.");
  }

  if (await constantTimeEqual(token, adminToken)) {
    return {
      kind: "admin",
      id: "admin",
      name: "bootstrap admin token",
      workspaceId: LOCAL_WORKSPACE_ID,
      role: "administrator",
      projectId: null,
      playground: false,
    };
  }

  const db = c.get("db");
  const row = looksLikeToken(token) ? await findToken(db, token) : null;
  if (row === null) {
    return rejectAuthentication(c, LOCAL_WORKSPACE_ID, "unknown bearer token", "The bearer token is not valid.");
  }

  const at = new Date();
  const rejection = tokenRejection(row, at);
  if (rejection !== null) {
    return rejectAuthentication(
      c,
      row.workspace_id,
      `token ${row.id} (${row.name}) is ${rejection}`,
      `The token "${row.name}" is ${rejection}: ask an administrator or the project's Owner for a new one.`,
    );
  }

  if (shouldTouch(row, at)) {
    await db.run("UPDATE api_tokens SET last_used_at = ? WHERE id = ? AND workspace_id = ?", now(), row.id, row.workspace_id);
  }
  return principalOf(row);
}
