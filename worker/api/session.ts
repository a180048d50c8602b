/**
 * Playground sessions. A browser visitor gets a workspace of kind 'playground' of its own,
 * kept by an HttpOnly, SameSite=Strict cookie that carries a random token. D1 stores only
 * the token's SHA-256, so the database alone cannot be turned back into a cookie.
 */
import type { Context, Next } from "hono";
import { getCookie, setCookie, deleteCookie } from "hono/cookie";
import type { Db } from "../db";
import { newId, now } from "../ids";
import { toHex, sha256Hex } from "../crypto/encoding";
import {
  PLAYGROUND_MAX_WORKSPACES,
  PLAYGROUND_SESSION_IDLE_MS,
  PLAYGROUND_SWEEP_BATCH,
  PLAYGROUND_TOUCH_INTERVAL_MS,
} from "../limits";
import type { HonoEnv } from "./context";
import { ApiError } from "./errors";
import { enforcePlaygroundQuotas } from "./playground-quotas";

export const SESSION_COOKIE = "ferris_session";

/** A live session and the workspace it belongs to. */
export interface PlaygroundSession {
  id: string;
  workspaceId: string;
  createdAt: string;
  lastUsedAt: string;
}

interface SessionRow {
  id: string;
  workspace_id: string;
  created_at: string;
  last_used_at: string;
}

/**
 * Tables that hold workspace rows, children before parents, so a workspace can be deleted
 * row by row even where a table has no foreign key to its workspace (executions keep no
 * foreign key to their package). Tables not listed here go with the workspace through
 * ON DELETE CASCADE.
 */
const WORKSPACE_TABLES = [
  "audit_events",
  "api_tokens",
  "package_state",
  "steps",
  "executions",
  "secrets",
  "data_keys",
  "scripts",
  "packages",
  "projects",
  "playground_sessions",
] as const;

/** Creates a session token: 32 random bytes as lowercase hex. */
function newSessionToken(): string {
  return toHex(crypto.getRandomValues(new Uint8Array(32)));
}

function isExpired(lastUsedAt: string, at: number): boolean {
  return at - Date.parse(lastUsedAt) > PLAYGROUND_SESSION_IDLE_MS;
}

/** Returns the session cookie's token, or null when the request has none of valid form. */
export function readSessionToken(c: Context<HonoEnv>): string | null {
  const token = getCookie(c, SESSION_COOKIE);
  if (token === undefined || !/^[0-9a-f]{64}$/.test(token)) return null;
  return token;
}

/** Sets the session cookie: HttpOnly and SameSite=Strict always, Secure over HTTPS. */
export function writeSessionCookie(c: Context<HonoEnv>, token: string): void {
  setCookie(c, SESSION_COOKIE, token, {
    httpOnly: true,
    sameSite: "Strict",
    secure: new URL(c.req.url).protocol === "https:",
    path: "/",
    maxAge: Math.floor(PLAYGROUND_SESSION_IDLE_MS / 1000),
  });
}

export function clearSessionCookie(c: Context<HonoEnv>): void {
  deleteCookie(c, SESSION_COOKIE, { path: "/", secure: new URL(c.req.url).protocol === "https:" });
}

/**
 * Finds the live session of a token. An expired session counts as absent; the sweep
 * deletes its workspace later.
 */
export async function findSession(db: Db, token: string): Promise<PlaygroundSession | null> {
  const row = await db.first<SessionRow>(
    "SELECT id, workspace_id, created_at, last_used_at FROM playground_sessions WHERE token_hash = ?",
    await sha256Hex(token),
  );
  if (row === null || isExpired(row.last_used_at, Date.now())) return null;
  return { id: row.id, workspaceId: row.workspace_id, createdAt: row.created_at, lastUsedAt: row.last_used_at };
}

/**
 * Records a use of the session and its workspace, and returns whether it wrote. The write
 * happens at most once per PLAYGROUND_TOUCH_INTERVAL_MS, so most requests add no statement.
 */
export async function touchSession(db: Db, session: PlaygroundSession): Promise<boolean> {
  if (Date.now() - Date.parse(session.lastUsedAt) < PLAYGROUND_TOUCH_INTERVAL_MS) return false;

  const time = now();
  await db.batch([
    db.prepare("UPDATE playground_sessions SET last_used_at = ? WHERE id = ?", time, session.id),
    db.prepare("UPDATE workspaces SET last_used_at = ? WHERE id = ? AND kind = 'playground'", time, session.workspaceId),
  ]);
  session.lastUsedAt = time;
  return true;
}

/**
 * Creates a playground workspace and its session in one batch, and returns the session
 * with the token for the cookie. The token itself is never stored.
 * NOTE: session creation has no per-client limit, so one client can start many workspaces,
 * each with fresh quotas, until PLAYGROUND_MAX_WORKSPACES is reached.
 */
export async function createSession(db: Db): Promise<{ session: PlaygroundSession; token: string }> {
  const count = await db.first<{ n: number }>("SELECT COUNT(*) AS n FROM workspaces WHERE kind = 'playground'");
  if ((count?.n ?? 0) >= PLAYGROUND_MAX_WORKSPACES) {
    throw new ApiError(
      503,
      "playground_full",
      `The playground holds its maximum of ${PLAYGROUND_MAX_WORKSPACES} workspaces: try again later, when idle ones have expired.`,
    );
  }

  const token = newSessionToken();
  const time = now();
  const session: PlaygroundSession = {
    id: newId("ses"),
    workspaceId: newId("ws"),
    createdAt: time,
    lastUsedAt: time,
  };

  await db.batch([
    db.prepare(
      "INSERT INTO workspaces (id, name, kind, created_at, last_used_at) VALUES (?, ?, 'playground', ?, ?)",
      session.workspaceId,
      "Playground workspace",
      time,
      time,
    ),
    db.prepare(
      "INSERT INTO playground_sessions (id, workspace_id, token_hash, created_at, last_used_at) VALUES (?, ?, ?, ?, ?)",
      session.id,
      session.workspaceId,
      await sha256Hex(token),
      time,
      time,
    ),
  ]);
  return { session, token };
}

/**
 * Deletes a playground workspace and every row it owns in one batch (one transaction).
 * The `kind` check makes it impossible to delete the local workspace through this path.
 * NOTE: the packages' Executor Durable Objects keep their own storage; an execution still
 * queued there fails when it writes its rows, because the workspace is gone.
 */
export async function deletePlaygroundWorkspace(db: Db, workspaceId: string): Promise<void> {
  const kind = await db.first<{ kind: string }>("SELECT kind FROM workspaces WHERE id = ?", workspaceId);
  if (kind === null || kind.kind !== "playground") return;

  await db.batch([
    ...WORKSPACE_TABLES.map((table) => db.prepare(`DELETE FROM ${table} WHERE workspace_id = ?`, workspaceId)),
    db.prepare("DELETE FROM workspaces WHERE id = ? AND kind = 'playground'", workspaceId),
  ]);
}

/**
 * Deletes up to PLAYGROUND_SWEEP_BATCH playground workspaces that were not used for
 * PLAYGROUND_SESSION_IDLE_MS, and returns how many it deleted. The cron trigger and
 * session creation both call it.
 */
export async function sweepExpiredWorkspaces(db: Db, at = Date.now()): Promise<number> {
  const cutoff = new Date(at - PLAYGROUND_SESSION_IDLE_MS).toISOString();
  const idle = await db.all<{ id: string }>(
    "SELECT id FROM workspaces WHERE kind = 'playground' AND last_used_at < ? ORDER BY last_used_at LIMIT ?",
    cutoff,
    PLAYGROUND_SWEEP_BATCH,
  );

  for (const { id } of idle) {
    await deletePlaygroundWorkspace(db, id);
  }
  if (idle.length > 0) {
    console.log(JSON.stringify({ event: "playground_sweep", deleted: idle.length, cutoff }));
  }
  return idle.length;
}

/** Rejects a request whose Origin header names another site, with 403. */
export function requireSameOrigin(c: Context<HonoEnv>): void {
  const origin = c.req.header("origin");
  if (origin !== undefined && origin !== new URL(c.req.url).origin) {
    throw new ApiError(403, "cross_origin", `Playground requests must come from this site, not from ${origin}.`);
  }
}

/**
 * Authenticates a playground session cookie. Cookie-authenticated writes must come from this
 * site: SameSite=Strict already keeps the cookie off cross-site requests, and the Origin
 * check also covers browsers that ignore SameSite.
 */
export async function authenticateSession(c: Context<HonoEnv>, sessionToken: string, next: Next): Promise<Response | void> {
  const safeMethod = c.req.method === "GET" || c.req.method === "HEAD";
  if (!safeMethod) requireSameOrigin(c);

  const db = c.get("db");
  const session = await findSession(db, sessionToken);
  if (session === null) {
    throw new ApiError(
      401,
      "session_expired",
      "The playground session has expired or was reset: reload the playground to start a new one.",
    );
  }
  // The cookie's Max-Age restarts with each recorded use, so it lives as long as the session.
  if (await touchSession(db, session)) writeSessionCookie(c, sessionToken);

  c.set("workspaceId", session.workspaceId);
  c.set("actor", { kind: "session", id: session.workspaceId });
  // A visitor administers its own playground workspace and nothing else.
  c.set("principal", {
    kind: "session",
    id: session.workspaceId,
    name: "Playground visitor",
    workspaceId: session.workspaceId,
    role: "administrator",
    projectId: null,
    playground: true,
  });
  return enforcePlaygroundQuotas(c, next);
}
