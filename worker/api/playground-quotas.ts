/**
 * Quotas of playground workspaces: request size, projects, packages and runs per minute.
 * The local workspace (admin token) has none of these; the product-wide limits in
 * worker/limits.ts apply to both.
 */
import { createMiddleware } from "hono/factory";
import { bodyLimit } from "hono/body-limit";
import {
  PLAYGROUND_MAX_PACKAGES,
  PLAYGROUND_MAX_PROJECTS,
  PLAYGROUND_MAX_REQUEST_BYTES,
  PLAYGROUND_RUNS_PER_MINUTE,
} from "../limits";
import type { HonoEnv } from "./context";
import { ApiError } from "./errors";

const CREATE_PROJECT = /^\/api\/projects\/?$/;
const CREATE_PACKAGE = /^\/api\/projects\/[^/]+\/packages\/?$/;
const START_EXECUTION = /^\/api\/packages\/[^/]+\/executions\/?$/;

const limitPlaygroundBody = bodyLimit({
  maxSize: PLAYGROUND_MAX_REQUEST_BYTES,
  onError: () => {
    throw new ApiError(
      413,
      "payload_too_large",
      `Playground requests may carry at most ${PLAYGROUND_MAX_REQUEST_BYTES} bytes: upload smaller files, or run Ferris Edge yourself for larger ones.`,
    );
  },
});

/**
 * Rejects a playground request that would go over a quota, with 413 for size and 429 for
 * counts. Counts are read before the write, so two requests racing at the limit can both
 * pass; the quotas bound abuse, they are not exact.
 */
export const enforcePlaygroundQuotas = createMiddleware<HonoEnv>(async (c, next) => {
  const db = c.get("db");
  const workspaceId = c.get("workspaceId");
  const path = c.req.path;

  if (c.req.method === "POST" && CREATE_PROJECT.test(path)) {
    const row = await db.first<{ n: number }>("SELECT COUNT(*) AS n FROM projects WHERE workspace_id = ?", workspaceId);
    if ((row?.n ?? 0) >= PLAYGROUND_MAX_PROJECTS) {
      throw new ApiError(
        429,
        "quota_exceeded",
        `A playground workspace may hold at most ${PLAYGROUND_MAX_PROJECTS} projects: delete one before creating another.`,
        { quota: "projects", limit: PLAYGROUND_MAX_PROJECTS },
      );
    }
  }

  if (c.req.method === "POST" && CREATE_PACKAGE.test(path)) {
    const row = await db.first<{ n: number }>("SELECT COUNT(*) AS n FROM packages WHERE workspace_id = ?", workspaceId);
    if ((row?.n ?? 0) >= PLAYGROUND_MAX_PACKAGES) {
      throw new ApiError(
        429,
        "quota_exceeded",
        `A playground workspace may hold at most ${PLAYGROUND_MAX_PACKAGES} packages: delete one before adding another.`,
        { quota: "packages", limit: PLAYGROUND_MAX_PACKAGES },
      );
    }
  }

  if (c.req.method === "POST" && START_EXECUTION.test(path)) {
    const since = new Date(Date.now() - 60_000).toISOString();
    const row = await db.first<{ n: number; oldest: string | null }>(
      "SELECT COUNT(*) AS n, MIN(created_at) AS oldest FROM executions WHERE workspace_id = ? AND created_at > ?",
      workspaceId,
      since,
    );
    if ((row?.n ?? 0) >= PLAYGROUND_RUNS_PER_MINUTE) {
      const oldest = row?.oldest ? Date.parse(row.oldest) : Date.now();
      const retryAfterSeconds = Math.max(1, Math.ceil((oldest + 60_000 - Date.now()) / 1000));
      c.header("Retry-After", String(retryAfterSeconds));
      throw new ApiError(
        429,
        "rate_limited",
        `A playground workspace may start at most ${PLAYGROUND_RUNS_PER_MINUTE} executions per minute: retry in ${retryAfterSeconds} s.`,
        { quota: "runs_per_minute", limit: PLAYGROUND_RUNS_PER_MINUTE, retry_after_seconds: retryAfterSeconds },
      );
    }
  }

  return limitPlaygroundBody(c, next);
});
