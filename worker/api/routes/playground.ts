/**
 * Playground session routes. They run before the authentication middleware because they
 * create the cookie that authenticates the playground's other calls.
 */
import { OpenAPIHono, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { Db } from "../../db";
import {
  PLAYGROUND_MAX_PACKAGES,
  PLAYGROUND_MAX_PROJECTS,
  PLAYGROUND_MAX_REQUEST_BYTES,
  PLAYGROUND_RUNS_PER_MINUTE,
  PLAYGROUND_SESSION_IDLE_MS,
} from "../../limits";
import { enforceRateLimit } from "../../access/rate-limit";
import { secureRoute } from "../secure-route";
import type { HonoEnv } from "../context";
import { ApiError } from "../errors";
import {
  clearSessionCookie,
  createSession,
  deletePlaygroundWorkspace,
  findSession,
  readSessionToken,
  requireSameOrigin,
  sweepExpiredWorkspaces,
  touchSession,
  writeSessionCookie,
  type PlaygroundSession,
} from "../session";
import { validationHook } from "../validation";

const ErrorSchema = z
  .object({
    error: z.object({ code: z.string(), message: z.string(), details: z.unknown().optional() }),
  });

const SessionSchema = z
  .object({
    workspace_id: z.string().openapi({ description: "The playground workspace this browser works in." }),
    created_at: z.string(),
    last_used_at: z.string(),
    expires_at: z.string().openapi({ description: "When the workspace is deleted unless it is used again." }),
    quotas: z.object({
      max_projects: z.number().int(),
      max_packages: z.number().int(),
      runs_per_minute: z.number().int(),
      max_request_bytes: z.number().int(),
    }),
  })
  .openapi("PlaygroundSession");

const sessionResponse = (description: string) => ({
  description,
  content: { "application/json": { schema: SessionSchema } },
});
const errorResponse = (description: string) => ({
  description,
  content: { "application/json": { schema: ErrorSchema } },
});

const startSession = secureRoute("public", null, {
  method: "post",
  path: "/playground/session",
  summary: "Start a playground session, or resume the cookie's session",
  description:
    "Without a live session cookie, creates a fresh playground workspace and sets an HttpOnly, SameSite=Strict cookie that holds it.",
  security: [],
  responses: {
    200: sessionResponse("The cookie's session is live and was resumed."),
    201: sessionResponse("A new workspace and session were created; the response sets the cookie."),
    403: errorResponse("The request came from another site."),
    503: errorResponse("The playground holds its maximum number of workspaces."),
  },
});

const getSession = secureRoute("public", null, {
  method: "get",
  path: "/playground/session",
  summary: "Describe the cookie's playground session",
  security: [],
  responses: {
    200: sessionResponse("The session is live."),
    401: errorResponse("The request has no live session cookie."),
  },
});

const resetSession = secureRoute("public", null, {
  method: "post",
  path: "/playground/reset",
  summary: "Delete the playground workspace and start a new one",
  description: "Deletes every project, package, secret and execution of the cookie's workspace, then starts a new session.",
  security: [],
  responses: {
    201: sessionResponse("The old workspace is gone; the response sets the new session's cookie."),
    403: errorResponse("The request came from another site."),
    503: errorResponse("The playground holds its maximum number of workspaces."),
  },
});

function describe(session: PlaygroundSession): z.infer<typeof SessionSchema> {
  return {
    workspace_id: session.workspaceId,
    created_at: session.createdAt,
    last_used_at: session.lastUsedAt,
    expires_at: new Date(Date.parse(session.lastUsedAt) + PLAYGROUND_SESSION_IDLE_MS).toISOString(),
    quotas: {
      max_projects: PLAYGROUND_MAX_PROJECTS,
      max_packages: PLAYGROUND_MAX_PACKAGES,
      runs_per_minute: PLAYGROUND_RUNS_PER_MINUTE,
      max_request_bytes: PLAYGROUND_MAX_REQUEST_BYTES,
    },
  };
}

/** Sweeps idle workspaces after the response, with its own statement counter. */
function sweepInBackground(c: Context<HonoEnv>): void {
  const sweep = sweepExpiredWorkspaces(new Db(c.env.DB)).catch((error: unknown) => {
    console.error(JSON.stringify({ event: "playground_sweep_failed", requestId: c.get("requestId"), error: String(error) }));
  });
  c.executionCtx.waitUntil(sweep);
}

async function currentSession(c: Context<HonoEnv>): Promise<PlaygroundSession | null> {
  const token = readSessionToken(c);
  if (token === null) return null;
  return findSession(c.get("db"), token);
}

async function startFreshSession(c: Context<HonoEnv>): Promise<PlaygroundSession> {
  // Each new session is a new workspace with fresh quotas, so new ones are limited per address.
  // Cloudflare always sets the address. A request without one, or from loopback, comes to a
  // local server, which has no visitors to protect from each other.
  const address = c.req.header("cf-connecting-ip");
  if (address !== undefined && address !== "127.0.0.1" && address !== "::1") {
    await enforceRateLimit(
      c.env.SESSION_RATE_LIMIT,
      address,
      "Too many playground sessions started from this address: wait a minute before starting another.",
    );
  }
  const { session, token } = await createSession(c.get("db"));
  writeSessionCookie(c, token);
  console.log(JSON.stringify({ event: "playground_session_created", requestId: c.get("requestId"), workspaceId: session.workspaceId }));
  sweepInBackground(c);
  return session;
}

export function playgroundRoutes() {
  return new OpenAPIHono<HonoEnv>({ defaultHook: validationHook })
    .openapi(startSession, async (c) => {
      requireSameOrigin(c);
      const existing = await currentSession(c);
      if (existing !== null) {
        await touchSession(c.get("db"), existing);
        // Resuming restarts the cookie's Max-Age, so an active visitor keeps the session.
        writeSessionCookie(c, readSessionToken(c)!);
        return c.json(describe(existing), 200);
      }
      return c.json(describe(await startFreshSession(c)), 201);
    })
    .openapi(getSession, async (c) => {
      const session = await currentSession(c);
      if (session === null) {
        clearSessionCookie(c);
        throw new ApiError(401, "session_expired", "No live playground session: POST /api/playground/session to start one.");
      }
      return c.json(describe(session), 200);
    })
    .openapi(resetSession, async (c) => {
      requireSameOrigin(c);
      const existing = await currentSession(c);
      if (existing !== null) {
        await deletePlaygroundWorkspace(c.get("db"), existing.workspaceId);
        console.log(JSON.stringify({ event: "playground_reset", requestId: c.get("requestId"), workspaceId: existing.workspaceId }));
      }
      return c.json(describe(await startFreshSession(c)), 201);
    });
}
