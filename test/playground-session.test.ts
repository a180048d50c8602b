import {
  createExecutionContext,
  createScheduledController,
  env,
  waitOnExecutionContext,
} from "cloudflare:test";
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import worker from "../worker/index";
import { sha256Hex } from "../worker/crypto/encoding";
import {
  PLAYGROUND_MAX_PACKAGES,
  PLAYGROUND_MAX_PROJECTS,
  PLAYGROUND_MAX_REQUEST_BYTES,
  PLAYGROUND_MAX_STEP_TIMEOUT_MS,
  PLAYGROUND_RUNS_PER_MINUTE,
  PLAYGROUND_SESSION_IDLE_MS,
} from "../worker/limits";
import { api, expectError, expectJson, packageForm } from "./helpers/api";

interface SessionBody {
  workspace_id: string;
  created_at: string;
  last_used_at: string;
  expires_at: string;
}

/** Starts a playground session and returns its cookie token and workspace id. */
async function startSession(): Promise<{ token: string; workspaceId: string; setCookie: string }> {
  const response = await api("POST", "/playground/session", undefined, { anonymous: true });
  const setCookie = response.headers.get("set-cookie") ?? "";
  const body = await expectJson<SessionBody>(response, 201);
  const token = /ferris_session=([0-9a-f]{64})/.exec(setCookie)?.[1];
  expect(token, setCookie).toBeDefined();
  return { token: token!, workspaceId: body.workspace_id, setCookie };
}

function asVisitor(token: string, headers: Record<string, string> = {}) {
  return { anonymous: true, headers: { cookie: `ferris_session=${token}`, ...headers } };
}

function hoursAgo(hours: number): string {
  return new Date(Date.now() - hours * 3_600_000).toISOString();
}

async function insertProject(workspaceId: string, id: string): Promise<void> {
  await env.DB.prepare(
    "INSERT INTO projects (id, workspace_id, name, created_at, updated_at) VALUES (?, ?, ?, ?, ?)",
  )
    .bind(id, workspaceId, id, hoursAgo(0), hoursAgo(0))
    .run();
}

async function countRows(table: string, workspaceId: string): Promise<number> {
  const row = await env.DB.prepare(`SELECT COUNT(*) AS n FROM ${table} WHERE workspace_id = ?`)
    .bind(workspaceId)
    .first<{ n: number }>();
  return row?.n ?? -1;
}

describe("playground session", () => {
  it("sets an HttpOnly SameSite=Strict cookie", async () => {
    const { setCookie } = await startSession();
    expect(setCookie).toMatch(/HttpOnly/i);
    expect(setCookie).toMatch(/SameSite=Strict/i);
    expect(setCookie).toMatch(/Path=\//);
    expect(setCookie).not.toMatch(/Secure/i);
  });

  it("marks the cookie Secure over HTTPS", async () => {
    const self = exports as unknown as { default: { fetch(url: string, init: RequestInit): Promise<Response> } };
    const response = await self.default.fetch("https://edge.test/api/playground/session", { method: "POST" });
    expect(response.status).toBe(201);
    expect(response.headers.get("set-cookie")).toMatch(/Secure/i);
  });

  it("creates a playground workspace", async () => {
    const { workspaceId } = await startSession();
    const row = await env.DB.prepare("SELECT kind FROM workspaces WHERE id = ?").bind(workspaceId).first<{ kind: string }>();
    expect(row?.kind).toBe("playground");
  });

  it("stores only the token hash", async () => {
    const { token, workspaceId } = await startSession();
    const row = await env.DB.prepare("SELECT * FROM playground_sessions WHERE workspace_id = ?")
      .bind(workspaceId)
      .first<Record<string, unknown>>();
    expect(row?.token_hash).toBe(await sha256Hex(token));
    expect(Object.values(row ?? {})).not.toContain(token);
  });

  it("resumes the session its cookie holds", async () => {
    const { token, workspaceId } = await startSession();
    const response = await api("POST", "/playground/session", undefined, asVisitor(token));
    const body = await expectJson<SessionBody>(response, 200);
    expect(body.workspace_id).toBe(workspaceId);
    expect(response.headers.get("set-cookie")).toContain(`ferris_session=${token}`);
  });

  it("describes the session on GET", async () => {
    const { token, workspaceId } = await startSession();
    const body = await expectJson<SessionBody>(await api("GET", "/playground/session", undefined, asVisitor(token)), 200);
    expect(body.workspace_id).toBe(workspaceId);
    expect(Date.parse(body.expires_at) - Date.parse(body.last_used_at)).toBe(PLAYGROUND_SESSION_IDLE_MS);
  });

  it("rejects GET without a cookie", async () => {
    await expectError(await api("GET", "/playground/session", undefined, { anonymous: true }), 401, "session_expired");
  });

  it("authenticates API calls with the cookie", async () => {
    const { token } = await startSession();
    // No route matches this path, so a 404 shows that authentication let the request through.
    await expectError(await api("GET", "/no-such-route", undefined, asVisitor(token)), 404, "not_found");
    await expectError(await api("GET", "/no-such-route", undefined, { anonymous: true }), 401, "unauthorized");
  });

  it("rejects a malformed cookie", async () => {
    const response = await api("GET", "/no-such-route", undefined, asVisitor("not-a-token"));
    await expectError(response, 401, "unauthorized");
  });

  it("rejects an unknown token", async () => {
    const response = await api("GET", "/no-such-route", undefined, asVisitor("ab".repeat(32)));
    await expectError(response, 401, "session_expired");
  });

  it("rejects a session idle for a day", async () => {
    const { token, workspaceId } = await startSession();
    await env.DB.prepare("UPDATE playground_sessions SET last_used_at = ? WHERE workspace_id = ?")
      .bind(hoursAgo(25), workspaceId)
      .run();
    await expectError(await api("GET", "/no-such-route", undefined, asVisitor(token)), 401, "session_expired");
  });

  it("records use at most once a minute", async () => {
    const { token, workspaceId } = await startSession();
    const select = env.DB.prepare("SELECT last_used_at FROM playground_sessions WHERE workspace_id = ?").bind(workspaceId);
    const fresh = (await select.first<{ last_used_at: string }>())!.last_used_at;

    await api("GET", "/no-such-route", undefined, asVisitor(token));
    expect((await select.first<{ last_used_at: string }>())!.last_used_at).toBe(fresh);

    const old = hoursAgo(2);
    await env.DB.prepare("UPDATE playground_sessions SET last_used_at = ? WHERE workspace_id = ?").bind(old, workspaceId).run();
    await env.DB.prepare("UPDATE workspaces SET last_used_at = ? WHERE id = ?").bind(old, workspaceId).run();
    const touchingResponse = await api("GET", "/no-such-route", undefined, asVisitor(token));
    // Recording a use restarts the cookie's Max-Age; a request within the minute does not.
    expect(touchingResponse.headers.get("set-cookie")).toContain(`ferris_session=${token}`);
    const laterResponse = await api("GET", "/no-such-route", undefined, asVisitor(token));
    expect(laterResponse.headers.get("set-cookie")).toBeNull();

    const touched = (await select.first<{ last_used_at: string }>())!.last_used_at;
    expect(Date.parse(touched)).toBeGreaterThan(Date.parse(old));
    const workspace = await env.DB.prepare("SELECT last_used_at FROM workspaces WHERE id = ?").bind(workspaceId).first<{ last_used_at: string }>();
    expect(workspace?.last_used_at).toBe(touched);
  });

  it("rejects a cross-origin write", async () => {
    const { token } = await startSession();
    const response = await api("POST", "/projects", { name: "x" }, asVisitor(token, { origin: "http://attacker.test" }));
    await expectError(response, 403, "cross_origin");
  });

  it("rejects a cross-origin reset", async () => {
    const { token, workspaceId } = await startSession();
    const response = await api("POST", "/playground/reset", undefined, asVisitor(token, { origin: "http://attacker.test" }));
    await expectError(response, 403, "cross_origin");
    expect(await countRows("playground_sessions", workspaceId)).toBe(1);
  });

  it("keeps the admin token working", async () => {
    const { token } = await startSession();
    // A bearer token wins over the cookie, so the session checks are skipped.
    const response = await api("GET", "/no-such-route", undefined, { headers: { cookie: `ferris_session=${token}` } });
    await expectError(response, 404, "not_found");
  });
});

describe("playground reset", () => {
  it("deletes the workspace and starts a new one", async () => {
    const { token, workspaceId } = await startSession();
    await insertProject(workspaceId, `prj_reset_${workspaceId}`);

    const response = await api("POST", "/playground/reset", undefined, asVisitor(token));
    const body = await expectJson<SessionBody>(response, 201);
    expect(body.workspace_id).not.toBe(workspaceId);
    expect(response.headers.get("set-cookie")).toMatch(/ferris_session=[0-9a-f]{64}/);

    expect(await countRows("projects", workspaceId)).toBe(0);
    expect(await countRows("playground_sessions", workspaceId)).toBe(0);
    const gone = await env.DB.prepare("SELECT id FROM workspaces WHERE id = ?").bind(workspaceId).first();
    expect(gone).toBeNull();
  });

  it("invalidates the old cookie", async () => {
    const { token } = await startSession();
    await api("POST", "/playground/reset", undefined, asVisitor(token));
    await expectError(await api("GET", "/no-such-route", undefined, asVisitor(token)), 401, "session_expired");
  });

  it("leaves other workspaces alone", async () => {
    const first = await startSession();
    const second = await startSession();
    await insertProject(second.workspaceId, `prj_keep_${second.workspaceId}`);

    await api("POST", "/playground/reset", undefined, asVisitor(first.token));
    expect(await countRows("projects", second.workspaceId)).toBe(1);
    expect(await countRows("playground_sessions", second.workspaceId)).toBe(1);
  });
});

describe("playground sweep", () => {
  it("scheduled handler deletes idle workspaces only", async () => {
    const idle = await startSession();
    const active = await startSession();
    await insertProject(idle.workspaceId, `prj_idle_${idle.workspaceId}`);
    await env.DB.prepare("UPDATE workspaces SET last_used_at = ? WHERE id = ?").bind(hoursAgo(30), idle.workspaceId).run();
    await env.DB.prepare("UPDATE workspaces SET last_used_at = ? WHERE id = 'ws_local'").bind(hoursAgo(30)).run();

    const ctx = createExecutionContext();
    await worker.scheduled!(createScheduledController({ cron: "17 * * * *" }), env, ctx);
    await waitOnExecutionContext(ctx);

    expect(await countRows("projects", idle.workspaceId)).toBe(0);
    expect(await env.DB.prepare("SELECT id FROM workspaces WHERE id = ?").bind(idle.workspaceId).first()).toBeNull();
    expect(await env.DB.prepare("SELECT id FROM workspaces WHERE id = ?").bind(active.workspaceId).first()).not.toBeNull();
    expect(await env.DB.prepare("SELECT id FROM workspaces WHERE id = 'ws_local'").first()).not.toBeNull();
  });
});

describe("playground session rate limit", () => {
  it("answers 429 after 10 new sessions from one address", async () => {
    const headers = { "cf-connecting-ip": "198.51.100.23" };
    const statuses: number[] = [];
    for (let attempt = 0; attempt < 11; attempt++) {
      statuses.push((await api("POST", "/playground/session", undefined, { anonymous: true, headers })).status);
    }
    expect(statuses.slice(0, 10)).toEqual(Array(10).fill(201));
    expect(statuses[10]).toBe(429);
  });

  it("does not count sessions from another address", async () => {
    const response = await api("POST", "/playground/session", undefined, {
      anonymous: true,
      headers: { "cf-connecting-ip": "198.51.100.24" },
    });
    expect(response.status).toBe(201);
  });
});

describe("playground quotas", () => {
  it("rejects a body over the playground limit", async () => {
    const { token } = await startSession();
    const body = "x".repeat(PLAYGROUND_MAX_REQUEST_BYTES + 1);
    const response = await api("PUT", "/platform/secrets", body, asVisitor(token, { "content-type": "application/json" }));
    const error = await expectError(response, 413, "payload_too_large");
    expect(error.message).toContain(String(PLAYGROUND_MAX_REQUEST_BYTES));
  });

  it("caps projects per workspace", async () => {
    const { token, workspaceId } = await startSession();
    for (let i = 0; i < PLAYGROUND_MAX_PROJECTS; i++) await insertProject(workspaceId, `prj_q${i}_${workspaceId}`);

    const response = await api("POST", "/projects", { name: "one-more" }, asVisitor(token));
    const error = await expectError(response, 429, "quota_exceeded");
    expect(error.message).toContain(`${PLAYGROUND_MAX_PROJECTS} projects`);
  });

  it("caps packages per workspace", async () => {
    const { token, workspaceId } = await startSession();
    const projectId = `prj_pkgq_${workspaceId}`;
    await insertProject(workspaceId, projectId);
    for (let i = 0; i < PLAYGROUND_MAX_PACKAGES; i++) {
      await env.DB.prepare(
        "INSERT INTO packages (id, workspace_id, project_id, name, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
      )
        .bind(`pkg_q${i}_${workspaceId}`, workspaceId, projectId, `p${i}`, hoursAgo(0), hoursAgo(0))
        .run();
    }

    const response = await api("POST", `/projects/${projectId}/packages`, new FormData(), asVisitor(token));
    const error = await expectError(response, 429, "quota_exceeded");
    expect(error.message).toContain(`${PLAYGROUND_MAX_PACKAGES} packages`);
  });

  it("limits runs per minute", async () => {
    const { token, workspaceId } = await startSession();
    for (let i = 0; i < PLAYGROUND_RUNS_PER_MINUTE; i++) {
      await env.DB.prepare(
        "INSERT INTO executions (id, workspace_id, package_id, package_name, project_id, status, trigger, created_at) VALUES (?, ?, 'pkg_x', 'x', 'prj_x', 'completed', 'manual', ?)",
      )
        .bind(`exe_q${i}_${workspaceId}`, workspaceId, new Date(Date.now() - 5_000).toISOString())
        .run();
    }

    const response = await api("POST", "/packages/pkg_x/executions", {}, asVisitor(token));
    const error = await expectError(response, 429, "rate_limited");
    expect(error.message).toContain(`${PLAYGROUND_RUNS_PER_MINUTE} executions per minute`);
    const retryAfter = Number(response.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
  });

  it("ignores runs older than a minute", async () => {
    const { token, workspaceId } = await startSession();
    for (let i = 0; i < PLAYGROUND_RUNS_PER_MINUTE; i++) {
      await env.DB.prepare(
        "INSERT INTO executions (id, workspace_id, package_id, package_name, project_id, status, trigger, created_at) VALUES (?, ?, 'pkg_x', 'x', 'prj_x', 'completed', 'manual', ?)",
      )
        .bind(`exe_old${i}_${workspaceId}`, workspaceId, hoursAgo(1))
        .run();
    }

    const response = await api("POST", "/packages/pkg_x/executions", {}, asVisitor(token));
    expect(response.status).not.toBe(429);
  });

  it("applies to tokens made in a playground workspace", async () => {
    const { token, workspaceId } = await startSession();
    const created = await expectJson<{ token: string }>(
      await api("POST", "/tokens", { name: "visitor token" }, asVisitor(token)),
      201,
    );
    const bearer = { headers: { authorization: `Bearer ${created.token}`, "content-type": "application/json" } };

    const big = "x".repeat(PLAYGROUND_MAX_REQUEST_BYTES + 1);
    await expectError(await api("PUT", "/platform/secrets", big, bearer), 413, "payload_too_large");

    for (let i = 0; i < PLAYGROUND_MAX_PROJECTS; i++) await insertProject(workspaceId, `prj_t${i}_${workspaceId}`);
    await expectError(await api("POST", "/projects", { name: "one-more" }, bearer), 429, "quota_exceeded");
  });

  it("caps a step's time limit", async () => {
    const { token } = await startSession();
    const project = await expectJson<{ id: string }>(await api("POST", "/projects", { name: "capped" }, asVisitor(token)), 201);
    const form = packageForm({
      scripts: [{ name: "hang.js", content: "export default async function main() {\n  await new Promise(() => {});\n}\n" }],
      manifest: { timeout_seconds: 60 },
    });
    const pkg = await expectJson<{ id: string }>(await api("POST", `/projects/${project.id}/packages`, form, asVisitor(token)), 201);

    const started = Date.now();
    const execution = await expectJson<{ id: string; failure_reason: string }>(
      await api("POST", `/packages/${pkg.id}/executions?wait=1`, {}, asVisitor(token)),
      201,
    );
    expect(execution.failure_reason).toBe("timeout");
    expect(Date.now() - started).toBeLessThan(30_000);

    const step = await expectJson<{ error: { message: string } }>(
      await api("GET", `/executions/${execution.id}/steps/1`, undefined, asVisitor(token)),
      200,
    );
    expect(step.error.message).toContain(`${PLAYGROUND_MAX_STEP_TIMEOUT_MS} ms`);
  });

  it("does not apply to the admin token", async () => {
    const body = "x".repeat(PLAYGROUND_MAX_REQUEST_BYTES + 1);
    const response = await api("PUT", "/no-such-route", body, { headers: { "content-type": "application/json" } });
    await expectError(response, 404, "not_found");
  });
});

describe("playground isolation", () => {
  it("hides one visitor's projects from another", async () => {
    const first = await startSession();
    const second = await startSession();
    const created = await expectJson<{ id: string }>(await api("POST", "/projects", { name: "first-only" }, asVisitor(first.token)), 201);

    const listed = await expectJson<{ projects: { id: string }[] }>(await api("GET", "/projects", undefined, asVisitor(second.token)), 200);
    expect(listed.projects.map((project) => project.id)).not.toContain(created.id);
    await expectError(await api("GET", `/projects/${created.id}`, undefined, asVisitor(second.token)), 404, "not_found");
  });

  it("hides the local workspace from visitors", async () => {
    const { token } = await startSession();
    const local = await expectJson<{ id: string }>(await api("POST", "/projects", { name: `local-${Date.now()}` }), 201);

    const listed = await expectJson<{ projects: { id: string }[] }>(await api("GET", "/projects", undefined, asVisitor(token)), 200);
    expect(listed.projects.map((project) => project.id)).not.toContain(local.id);
    await expectError(await api("GET", `/projects/${local.id}`, undefined, asVisitor(token)), 404, "not_found");
  });

  it("hides visitors' projects from the admin", async () => {
    const { token } = await startSession();
    const created = await expectJson<{ id: string }>(await api("POST", "/projects", { name: "visitor-only" }, asVisitor(token)), 201);
    await expectError(await api("GET", `/projects/${created.id}`), 404, "not_found");
  });
});

describe("playground sweep on session start", () => {
  it("deletes idle workspaces in the background", async () => {
    const idle = await startSession();
    await env.DB.prepare("UPDATE workspaces SET last_used_at = ? WHERE id = ?").bind(hoursAgo(48), idle.workspaceId).run();

    await startSession();

    // The sweep runs after the response, so the check polls for a bounded time.
    let remaining = 1;
    for (let attempt = 0; attempt < 50 && remaining > 0; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      remaining = (await env.DB.prepare("SELECT COUNT(*) AS n FROM workspaces WHERE id = ?").bind(idle.workspaceId).first<{ n: number }>())?.n ?? 0;
    }
    expect(remaining).toBe(0);
  });
});
