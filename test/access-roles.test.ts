/**
 * Project roles against each action, tokens confined to their project, expired and revoked
 * tokens, and the rate limit on failed authentications.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { api, createPackage, createProject, expectError, expectJson, packageForm } from "./helpers/api";
import { bearer, createProjectToken, insertToken } from "./helpers/access";

type Role = "owner" | "admin" | "user";

interface Fixture {
  projectId: string;
  packageId: string;
  tokens: Record<Role, string>;
}

async function fixture(): Promise<Fixture> {
  const project = await createProject();
  const pkg = await createPackage({ project: project.id, secrets: { API_KEY: "role-test-key" } });
  const tokens = {} as Record<Role, string>;
  for (const role of ["owner", "admin", "user"] as const) {
    tokens[role] = (await createProjectToken(project.id, role)).token;
  }
  return { projectId: project.id, packageId: pkg.id, tokens };
}

let shared: Fixture;
beforeAll(async () => {
  shared = await fixture();
});

/** Each action with the status that each role gets. */
const ACTIONS: { name: string; expected: Record<Role, number>; run: (f: Fixture, token: string) => Promise<Response> }[] = [
  {
    name: "view the project",
    expected: { owner: 200, admin: 200, user: 200 },
    run: (f, token) => api("GET", `/projects/${f.projectId}`, undefined, bearer(token)),
  },
  {
    name: "list packages",
    expected: { owner: 200, admin: 200, user: 200 },
    run: (f, token) => api("GET", `/projects/${f.projectId}/packages`, undefined, bearer(token)),
  },
  {
    name: "view a package",
    expected: { owner: 200, admin: 200, user: 200 },
    run: (f, token) => api("GET", `/packages/${f.packageId}`, undefined, bearer(token)),
  },
  {
    name: "trigger a manual run",
    expected: { owner: 201, admin: 201, user: 201 },
    run: (f, token) => api("POST", `/packages/${f.packageId}/executions?wait=1`, {}, bearer(token)),
  },
  {
    name: "upload a package",
    expected: { owner: 201, admin: 201, user: 403 },
    run: (f, token) => api("POST", `/projects/${f.projectId}/packages`, packageForm({}), bearer(token)),
  },
  {
    name: "change a package",
    expected: { owner: 200, admin: 200, user: 403 },
    run: (f, token) => api("PATCH", `/packages/${f.packageId}`, { description: "changed" }, bearer(token)),
  },
  {
    name: "write project secrets",
    expected: { owner: 200, admin: 200, user: 403 },
    run: (f, token) => api("PUT", `/projects/${f.projectId}/secrets`, '{"ROLE_SECRET": "value-1234"}', bearer(token)),
  },
  {
    name: "replace package secrets",
    expected: { owner: 200, admin: 200, user: 403 },
    run: (f, token) => api("PUT", `/packages/${f.packageId}/secrets`, '{"API_KEY": "value-5678"}', bearer(token)),
  },
  {
    name: "create a project token",
    expected: { owner: 201, admin: 403, user: 403 },
    run: (f, token) => api("POST", `/projects/${f.projectId}/tokens`, { name: "made by a role", role: "user" }, bearer(token)),
  },
  {
    name: "read the project's audit trail",
    expected: { owner: 200, admin: 403, user: 403 },
    run: (f, token) => api("GET", `/projects/${f.projectId}/audit`, undefined, bearer(token)),
  },
  {
    name: "write platform secrets",
    expected: { owner: 403, admin: 403, user: 403 },
    run: (_f, token) => api("PUT", "/platform/secrets", '{"PLATFORM_ROLE": "value-9999"}', bearer(token)),
  },
  {
    name: "create a project",
    expected: { owner: 403, admin: 403, user: 403 },
    run: (_f, token) => api("POST", "/projects", { name: `by-role-${crypto.randomUUID()}` }, bearer(token)),
  },
];

describe("project roles", () => {
  for (const action of ACTIONS) {
    for (const role of ["owner", "admin", "user"] as const) {
      it(`${role} may ${action.expected[role] === 403 ? "not " : ""}${action.name}`, async () => {
        const response = await action.run(shared, shared.tokens[role]);
        const text = await response.text();
        expect(response.status, text).toBe(action.expected[role]);
      });
    }
  }

  it("only an owner may delete the project", async () => {
    const own = await fixture();
    await expectError(await api("DELETE", `/projects/${own.projectId}`, undefined, bearer(own.tokens.user)), 403, "forbidden");
    await expectError(await api("DELETE", `/projects/${own.projectId}`, undefined, bearer(own.tokens.admin)), 403, "forbidden");

    const deleted = await api("DELETE", `/projects/${own.projectId}`, undefined, bearer(own.tokens.owner));
    expect(deleted.status, await deleted.text()).toBe(204);
    expect((await api("GET", `/projects/${own.projectId}`)).status).toBe(404);
  });

  it("lists only the token's own project", async () => {
    await createProject();
    const body = await expectJson<{ projects: { id: string }[] }>(
      await api("GET", "/projects", undefined, bearer(shared.tokens.user)),
      200,
    );
    expect(body.projects.map((project) => project.id)).toEqual([shared.projectId]);
  });
});

describe("tokens across projects", () => {
  it("hides project B from a token of project A", async () => {
    const other = await fixture();
    const token = shared.tokens.owner;
    await expectError(await api("GET", `/projects/${other.projectId}`, undefined, bearer(token)), 404, "not_found");
    await expectError(await api("GET", `/packages/${other.packageId}`, undefined, bearer(token)), 404, "not_found");
    await expectError(
      await api("PUT", `/projects/${other.projectId}/secrets`, '{"X_KEY": "value-0000"}', bearer(token)),
      404,
      "not_found",
    );
    await expectError(
      await api("POST", `/packages/${other.packageId}/executions`, {}, bearer(token)),
      404,
      "not_found",
    );
  });
});

describe("token lifetime", () => {
  it("rejects an expired token", async () => {
    const expired = await insertToken({
      workspaceId: "ws_local",
      role: "owner",
      projectId: shared.projectId,
      expiresAt: new Date(Date.now() - 1000).toISOString(),
    });
    const error = await expectError(await api("GET", `/projects/${shared.projectId}`, undefined, bearer(expired.token)), 401, "unauthorized");
    expect(error.message).toContain("expired");
  });

  it("rejects a revoked token", async () => {
    const created = await createProjectToken(shared.projectId, "user", "to revoke");
    expect((await api("GET", `/projects/${shared.projectId}`, undefined, bearer(created.token))).status).toBe(200);

    const revoked = await expectJson<{ revoked_at: string | null }>(await api("DELETE", `/tokens/${created.id}`), 200);
    expect(revoked.revoked_at).not.toBeNull();

    const error = await expectError(await api("GET", `/projects/${shared.projectId}`, undefined, bearer(created.token)), 401, "unauthorized");
    expect(error.message).toContain("revoked");
  });

  it("shows the token once and stores only its hash", async () => {
    const created = await createProjectToken(shared.projectId, "user", "shown once");
    expect(created.token).toMatch(/^fe_/);
    const list = await api("GET", `/projects/${shared.projectId}/tokens`);
    const text = await list.text();
    expect(list.status).toBe(200);
    expect(text).toContain(created.id);
    expect(text).not.toContain(created.token);
  });

  it("records the last use of a token", async () => {
    const created = await createProjectToken(shared.projectId, "user", "last used");
    await api("GET", `/projects/${shared.projectId}`, undefined, bearer(created.token));
    const body = await expectJson<{ tokens: { id: string; last_used_at: string | null }[] }>(
      await api("GET", `/projects/${shared.projectId}/tokens`),
      200,
    );
    expect(body.tokens.find((token) => token.id === created.id)?.last_used_at).not.toBeNull();
  });
});

describe("failed authentication rate limit", () => {
  it("answers 429 with Retry-After after 20 failures", async () => {
    // Cloudflare sets cf-connecting-ip; the test sets its own so that no other test shares the count.
    const headers = { authorization: "Bearer fe_wrong_token", "cf-connecting-ip": "192.0.2.77" };
    const statuses: number[] = [];
    for (let attempt = 0; attempt < 21; attempt++) {
      statuses.push((await api("GET", "/projects", undefined, { headers })).status);
    }
    expect(statuses.slice(0, 20).every((status) => status === 401)).toBe(true);
    expect(statuses[20]).toBe(429);

    const limited = await api("GET", "/projects", undefined, { headers });
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after")).toBe("60");
    const body = (await limited.json()) as { error: { code: string } };
    expect(body.error.code).toBe("rate_limited");
  });
});
