import { describe, expect, it } from "vitest";
import { api, createPackage, createProject, expectError, expectJson, packageForm } from "./helpers/api";

async function projectToken(projectId: string, role: "owner" | "admin" | "user"): Promise<string> {
  const created = await expectJson(await api("POST", `/projects/${projectId}/tokens`, { name: `${role} token`, role }), 201);
  return created.token;
}

const as = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });

describe("package access by role", () => {
  it("user role reads but cannot write", async () => {
    const project = await createProject();
    const pkg = await createPackage({ project: project.id });
    const token = await projectToken(project.id, "user");

    await expectJson(await api("GET", `/packages/${pkg.id}`, undefined, as(token)), 200);
    await expectJson(await api("GET", `/projects/${project.id}/packages`, undefined, as(token)), 200);

    const upload = await api("POST", `/projects/${project.id}/packages`, packageForm({}), as(token));
    const error = await expectError(upload, 403, "forbidden");
    expect(error.message).toContain("project:write");
    await expectError(await api("PATCH", `/packages/${pkg.id}`, { active: false }, as(token)), 403, "forbidden");
    await expectError(await api("DELETE", `/packages/${pkg.id}`, undefined, as(token)), 403, "forbidden");
  });

  it("admin role uploads and deletes", async () => {
    const project = await createProject();
    const token = await projectToken(project.id, "admin");

    const created = await expectJson(await api("POST", `/projects/${project.id}/packages`, packageForm({}), as(token)), 201);
    expect((await api("DELETE", `/packages/${created.id}`, undefined, as(token))).status).toBe(204);
  });

  it("other projects' packages are 404", async () => {
    const mine = await createProject();
    const other = await createPackage();
    const token = await projectToken(mine.id, "owner");

    await expectError(await api("GET", `/packages/${other.id}`, undefined, as(token)), 404, "not_found");
    await expectError(await api("GET", `/packages/${other.id}/scripts/main.js`, undefined, as(token)), 404, "not_found");
  });

  it("project role lists only its project", async () => {
    const mine = await createProject();
    await createProject();
    const token = await projectToken(mine.id, "user");

    const { projects } = await expectJson(await api("GET", "/projects", undefined, as(token)), 200);
    expect(projects.map((p: { id: string }) => p.id)).toEqual([mine.id]);
    await expectError(await api("POST", "/projects", { name: "not allowed" }, as(token)), 403, "forbidden");
  });
});
