import { createMiddleware } from "hono/factory";
import type { HonoEnv } from "./context";
import { ApiError } from "./errors";
import { authenticateSession, readSessionToken } from "./session";

/** The workspace that the admin token acts in; the initial migration creates it. */
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

function bearerToken(header: string | undefined): string | null {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? "");
  return match?.[1] ?? null;
}

/**
 * Resolves the caller to a workspace and an actor, or rejects the request with 401. A bearer
 * token wins over a playground session cookie when a request carries both.
 */
export const authenticate = createMiddleware<HonoEnv>(async (c, next) => {
  const authorization = c.req.header("authorization");
  const sessionToken = readSessionToken(c);
  if (authorization === undefined && sessionToken !== null) {
    return authenticateSession(c, sessionToken, next);
  }

  const token = bearerToken(authorization);
  if (token === null) {
    throw new ApiError(
      401,
      "unauthorized",
      "Missing bearer token: send `Authorization: Bearer <token>`, or open /playground/ to start a playground session.",
    );
  }

  const adminToken = c.env.ADMIN_TOKEN;
  if (!adminToken) {
    console.error(JSON.stringify({ event: "admin_token_missing", requestId: c.get("requestId") }));
    throw new ApiError(503, "not_configured", "ADMIN_TOKEN is not set on this deployment: set it with `wrangler secret put ADMIN_TOKEN`.");
  }

  if (!(await constantTimeEqual(token, adminToken))) {
    throw new ApiError(401, "unauthorized", "The bearer token is not valid.");
  }

  c.set("workspaceId", LOCAL_WORKSPACE_ID);
  c.set("actor", { kind: "admin", id: "admin" });
  await next();
});
