import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { api, createPackage, expectError, expectJson } from "./helpers/api";

const MAIN = 'import { get_secret, get_param } from "ferris_ef";\nexport default async function main() {\n  console.log(get_param("package_name"), get_param("region"), await get_secret("DB_PASS"));\n}\n';

async function examplePackage(manifest?: object) {
  return createPackage({
    scripts: [{ name: "main.js", content: MAIN }],
    secrets: { DB_NAME: "test_db", DB_PASS: "supersecretpas$" },
    ...(manifest === undefined ? {} : { manifest }),
  });
}

describe("POST /packages/{package}/executions", () => {
  it("runs to the end with wait=1", async () => {
    const pkg = await examplePackage();
    const execution = await expectJson(await api("POST", `/packages/${pkg.id}/executions?wait=1`, { params: { region: "eu" } }), 201);
    expect(execution.status).toBe("completed");
    expect(execution.trigger).toBe("manual");
    expect(execution.steps).toEqual([expect.objectContaining({ position: 1, file_name: "main.js", status: "completed" })]);
    expect(execution.duration_ms).toBeGreaterThanOrEqual(0);
    expect(execution.d1_queries).toBeGreaterThan(0);

    const step = await expectJson(await api("GET", `/executions/${execution.id}/steps/1`), 200);
    expect(step.output.map((line: { text: string }) => line.text)).toEqual([`${pkg.name} eu ***`]);
    expect(step.provenance).toEqual([{ name: "DB_PASS", scope: "package", action: "read" }]);
    expect(step.error).toBeNull();
    expect(JSON.stringify(step)).not.toContain("supersecretpas$");
  });

  it("answers 202 with a pending run without wait", async () => {
    const pkg = await examplePackage();
    const execution = await expectJson(await api("POST", `/packages/${pkg.id}/executions`), 202);
    expect(["pending", "in_progress", "completed"]).toContain(execution.status);
    for (let i = 0; i < 100; i++) {
      const current = await expectJson(await api("GET", `/executions/${execution.id}`), 200);
      if (current.status === "completed") return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`execution ${execution.id} did not complete`);
  });

  it("rejects params that are not an object", async () => {
    const pkg = await examplePackage();
    await expectError(await api("POST", `/packages/${pkg.id}/executions`, { params: [1, 2] }), 400, "invalid_request");
    await expectError(await api("POST", `/packages/${pkg.id}/executions`, { other: 1 }), 400, "invalid_request");
  });

  it("rejects params over the size limit", async () => {
    const pkg = await examplePackage();
    const error = await expectError(
      await api("POST", `/packages/${pkg.id}/executions`, { params: { big: "x".repeat(70_000) } }),
      413,
      "params_too_large",
    );
    expect(error.message).toContain("params is");
  });

  it("rejects an inactive package", async () => {
    const pkg = await examplePackage({ active: false });
    await expectError(await api("POST", `/packages/${pkg.id}/executions`), 409, "package_inactive");
  });

  it("rejects a package without manual triggering", async () => {
    const pkg = await examplePackage({ allow_manual_triggering: false });
    await expectError(await api("POST", `/packages/${pkg.id}/executions`), 409, "manual_trigger_disabled");
  });

  it("answers 404 for an unknown package", async () => {
    await expectError(await api("POST", "/packages/pkg_000000000000000000000000/executions"), 404, "not_found");
  });

  it("answers 404 for an execution of another workspace", async () => {
    const pkg = await examplePackage();
    const execution = await expectJson(await api("POST", `/packages/${pkg.id}/executions?wait=1`), 201);
    const time = new Date().toISOString();
    await env.DB.prepare("INSERT INTO workspaces (id, name, kind, created_at, last_used_at) VALUES ('ws_other_exec', 'Other', 'playground', ?, ?)")
      .bind(time, time)
      .run();
    await env.DB.prepare("UPDATE executions SET workspace_id = 'ws_other_exec' WHERE id = ?").bind(execution.id).run();
    await expectError(await api("GET", `/executions/${execution.id}`), 404, "not_found");
    await expectError(await api("GET", `/executions/${execution.id}/steps/1`), 404, "not_found");
  });
});

describe("GET /packages/{package}/executions", () => {
  it("lists newest first in pages", async () => {
    const pkg = await examplePackage();
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      ids.push((await expectJson(await api("POST", `/packages/${pkg.id}/executions?wait=1`), 201)).id);
    }
    const first = await expectJson(await api("GET", `/packages/${pkg.id}/executions?limit=2`), 200);
    expect(first.executions.map((e: { id: string }) => e.id)).toEqual([ids[2], ids[1]]);
    expect(first.next_cursor).toEqual(expect.any(String));
    const second = await expectJson(
      await api("GET", `/packages/${pkg.id}/executions?limit=2&cursor=${encodeURIComponent(first.next_cursor)}`),
      200,
    );
    expect(second.executions.map((e: { id: string }) => e.id)).toEqual([ids[0]]);
    expect(second.next_cursor).toBeNull();
  });

  it("rejects a malformed cursor", async () => {
    const pkg = await examplePackage();
    await expectError(await api("GET", `/packages/${pkg.id}/executions?cursor=not-a-cursor`), 400, "invalid_cursor");
  });
});

describe("GET /executions/{execution}/steps/{position}", () => {
  it("answers 404 for a position past the last step", async () => {
    const pkg = await examplePackage();
    const execution = await expectJson(await api("POST", `/packages/${pkg.id}/executions?wait=1`), 201);
    await expectError(await api("GET", `/executions/${execution.id}/steps/2`), 404, "not_found");
  });
});
