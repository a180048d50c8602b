import { createMiddleware } from "hono/factory";
import { principalForBearer } from "../access/authenticate";
import { enforceRateLimit } from "../access/rate-limit";
import type { HonoEnv } from "./context";
import { ApiError } from "./errors";
import { enforcePlaygroundQuotas } from "./playground-quotas";
import { authenticateSession, readSessionToken } from "./session";

export { constantTimeEqual, LOCAL_WORKSPACE_ID } from "../access/authenticate";

function bearerToken(header: string | undefined): string | null {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? "");
  return match?.[1] ?? null;
}

/**
 * Resolves the caller to a principal, or rejects the request with 401. A bearer token wins
 * over a playground session cookie when a request carries both. Each principal is then
 * rate-limited: per token, and per workspace for playground sessions.
 */
export const authenticate = createMiddleware<HonoEnv>(async (c, next) => {
  const authorization = c.req.header("authorization");
  const sessionToken = readSessionToken(c);
  if (authorization === undefined && sessionToken !== null) {
    return authenticateSession(c, sessionToken, async () => {
      await enforceRateLimit(
        c.env.API_RATE_LIMIT,
        `workspace:${c.get("principal").workspaceId}`,
        "Too many requests from this playground workspace: wait a minute before trying again.",
      );
      await next();
    });
  }

  const token = bearerToken(authorization);
  if (token === null) {
    throw new ApiError(
      401,
      "unauthorized",
      "Missing bearer token: send `Authorization: Bearer <token>`, or open /playground/ to start a playground session.",
    );
  }

  const principal = await principalForBearer(c, token);
  await enforceRateLimit(
    c.env.API_RATE_LIMIT,
    `token:${principal.id}`,
    `Too many requests with the token "${principal.name}": wait a minute before trying again.`,
  );

  c.set("principal", principal);
  c.set("workspaceId", principal.workspaceId);
  c.set("actor", { kind: principal.kind, id: principal.id });

  // A token made inside a playground workspace keeps that workspace's quotas.
  if (principal.playground) return enforcePlaygroundQuotas(c, next);
  await next();
});
