/**
 * The route table: every route of the OpenAPI document declares the permission it needs
 * (`x-permission`), and each is checked against a missing token, a role too low, and a
 * credential of another workspace.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { api, createPackage, createProject, expectJson } from "./helpers/api";
import { bearer, createProjectToken, insertToken, insertWorkspace } from "./helpers/access";

interface Operation {
  "x-permission"?: string;
  "x-target"?: string;
}

type Document = { paths: Record<string, Record<string, Operation>> };

/** For each permission, a role that lacks it; read and run have none, since User has both. */
const TOO_LOW_ROLE: Record<string, "owner" | "admin" | "user" | null> = {
  "workspace:admin": "owner",
  "workspace:member": null,
  "project:read": null,
  "project:run": null,
  "project:write": "user",
  "project:secrets": "user",
  "project:delete": "admin",
  "project:tokens": "admin",
  "project:audit": "admin",
};

const PUBLIC_PATHS = new Set(["/api/health"]);

let document: Document;
let fill: Record<string, string>;
const tokens: Record<string, string> = {};
let otherWorkspaceToken: string;

function routes(): { method: string; path: string; operation: Operation }[] {
  return Object.entries(document.paths).flatMap(([path, operations]) =>
    Object.entries(operations).map(([method, operation]) => ({ method: method.toUpperCase(), path, operation })),
  );
}

function concrete(path: string): string {
  return path.replace(/\{(\w+)\}/g, (_match, name: string) => {
    const value = fill[name];
    if (value === undefined) throw new Error(`No test value for path parameter {${name}} in ${path}.`);
    return value;
  });
}

beforeAll(async () => {
  document = await expectJson<Document>(await api("GET", "/openapi.json", undefined, { anonymous: true }), 200);

  const project = await createProject();
  const pkg = await createPackage({ project: project.id, secrets: { DB_NAME: "routes_db" } });
  const execution = await expectJson<{ id: string }>(await api("POST", `/packages/${pkg.id}/executions?wait=1`, {}), 201);
  const token = await createProjectToken(project.id, "user", "target token");

  fill = {
    project: project.id,
    package: pkg.id,
    execution: execution.id,
    position: "1",
    file: pkg.scripts[0].file_name,
    name: "DB_NAME",
    token: token.id,
  };

  for (const role of ["owner", "admin", "user"] as const) {
    tokens[role] = (await createProjectToken(project.id, role)).token;
  }
  otherWorkspaceToken = (await insertToken({ workspaceId: await insertWorkspace(), role: "administrator" })).token;
});

describe("route table", () => {
  it("declares a permission on every route", () => {
    const undeclared = routes()
      .filter(({ operation }) => operation["x-permission"] === undefined)
      .map(({ method, path }) => `${method} ${path}`);
    expect(undeclared).toEqual([]);
  });

  it("knows every declared permission", () => {
    for (const { method, path, operation } of routes()) {
      expect(Object.keys(TOO_LOW_ROLE).concat("public"), `${method} ${path}`).toContain(operation["x-permission"]);
    }
  });

  it("rejects every private route without a token", async () => {
    for (const { method, path, operation } of routes()) {
      if (operation["x-permission"] === "public") continue;
      const response = await api(method, concrete(path), undefined, { anonymous: true });
      expect(response.status, `${method} ${path}`).toBe(401);
    }
  });

  it("leaves public routes open", async () => {
    for (const { method, path, operation } of routes()) {
      if (operation["x-permission"] !== "public" || !PUBLIC_PATHS.has(path)) continue;
      const response = await api(method, concrete(path), undefined, { anonymous: true });
      expect(response.status, `${method} ${path}`).toBe(200);
    }
  });

  it("returns 403 to a role too low", async () => {
    let checked = 0;
    for (const { method, path, operation } of routes()) {
      const role = TOO_LOW_ROLE[operation["x-permission"] ?? ""];
      if (role === undefined || role === null) continue;
      const response = await api(method, concrete(path), undefined, bearer(tokens[role]!));
      const text = await response.text();
      expect(response.status, `${method} ${path} as ${role}: ${text}`).toBe(403);
      expect(JSON.parse(text).error.code, `${method} ${path}`).toBe("forbidden");
      checked += 1;
    }
    expect(checked).toBeGreaterThan(10);
  });

  it("hides objects from another workspace", async () => {
    let checked = 0;
    for (const { method, path, operation } of routes()) {
      if (operation["x-target"] === undefined) continue;
      const response = await api(method, concrete(path), undefined, bearer(otherWorkspaceToken));
      const text = await response.text();
      expect(response.status, `${method} ${path}: ${text}`).toBe(404);
      expect(text, `${method} ${path}`).not.toContain("routes_db");
      checked += 1;
    }
    expect(checked).toBeGreaterThan(15);
  });
});
