import { describe, expect, it } from "vitest";
import { api, createProject, expectError, expectJson, uniqueName } from "./helpers/api";

describe("projects", () => {
  it("create returns 201 with the project", async () => {
    const name = uniqueName("alpha");
    const project = await expectJson(await api("POST", "/projects", { name, description: "First project" }), 201);

    expect(project.id).toMatch(/^prj_[0-9a-f]{24}$/);
    expect(project.name).toBe(name);
    expect(project.description).toBe("First project");
    expect(project.created_at).toBe(project.updated_at);
  });

  it("create defaults the description to empty", async () => {
    const project = await createProject();
    expect(project.description).toBe("");
  });

  it("create rejects a duplicate name naming it", async () => {
    const project = await createProject();
    const error = await expectError(await api("POST", "/projects", { name: project.name }), 409, "name_taken");
    expect(error.message).toBe(`A project named "${project.name}" already exists in this workspace: choose another name.`);
  });

  it.each([
    ["empty name", { name: "" }],
    ["blank name", { name: "   " }],
    ["name over 100 characters", { name: "x".repeat(101) }],
    ["missing name", { description: "no name" }],
    ["unknown key", { name: "ok-name", colour: "blue" }],
    ["name with a line break", { name: "two\nlines" }],
    ["description over 1000 characters", { name: "ok-name", description: "d".repeat(1001) }],
  ])("create rejects %s", async (_case, body) => {
    await expectError(await api("POST", "/projects", body), 400, "invalid_request");
  });

  it("create accepts a 100-character name", async () => {
    const name = `${uniqueName("n")}`.padEnd(100, "x");
    const project = await expectJson(await api("POST", "/projects", { name }), 201);
    expect(project.name).toBe(name);
  });

  it("list includes created projects sorted by name", async () => {
    const first = await createProject(uniqueName("list-b"));
    const second = await createProject(uniqueName("list-a"));
    const { projects } = await expectJson(await api("GET", "/projects"), 200);
    const names: string[] = projects.map((project: { name: string }) => project.name);

    expect(names).toContain(first.name);
    expect(names).toContain(second.name);
    expect([...names].sort()).toEqual(names);
  });

  it("get returns one project", async () => {
    const project = await createProject();
    const fetched = await expectJson(await api("GET", `/projects/${project.id}`), 200);
    expect(fetched).toEqual(project);
  });

  it("get of an unknown project is 404", async () => {
    const error = await expectError(await api("GET", "/projects/prj_missing"), 404, "not_found");
    expect(error.message).toContain("prj_missing");
  });

  it("requests without a token are 401", async () => {
    await expectError(await api("GET", "/projects", undefined, { anonymous: true }), 401, "unauthorized");
  });
});

describe("OpenAPI document", () => {
  it("describes the project and package routes", async () => {
    const document = await expectJson(await api("GET", "/openapi.json"), 200);
    const paths = document.paths as Record<string, Record<string, any>>;

    expect(Object.keys(paths["/api/projects"]!).sort()).toEqual(["get", "post"]);
    expect(Object.keys(paths["/api/packages/{package}"]!).sort()).toEqual(["delete", "get", "patch"]);
    expect(paths["/api/packages/{package}/scripts"]!.put).toBeDefined();
    expect(paths["/api/packages/{package}/scripts/{file}"]!.get).toBeDefined();

    const upload = paths["/api/projects/{project}/packages"]!.post;
    const form = upload.requestBody.content["multipart/form-data"].schema;
    expect(form.required).toEqual(["name", "scripts"]);
    expect(Object.keys(form.properties).sort()).toEqual(["config", "description", "manifest", "name", "scripts", "secrets"]);
    expect(upload["x-permission"]).toBe("project:write");
  });
});
