import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { api, createPackage, createProject, expectError, expectJson, scriptsForm, TRIVIAL_SCRIPT } from "./helpers/api";

const script = (name: string, content = TRIVIAL_SCRIPT) => ({ name, content });
const fileNames = (details: { scripts: { file_name: string }[] }) => details.scripts.map((s) => s.file_name);

async function count(sql: string, ...values: unknown[]): Promise<number> {
  const row = await env.DB.prepare(sql).bind(...values).first<{ count: number }>();
  return row!.count;
}

describe("package reads", () => {
  it("list returns summaries with script counts", async () => {
    const project = await createProject();
    const beta = await createPackage({ project: project.id, name: "beta", scripts: [script("a.js"), script("b.js")] });
    const alpha = await createPackage({ project: project.id, name: "alpha", description: "first" });

    const { packages } = await expectJson(await api("GET", `/projects/${project.id}/packages`), 200);
    expect(packages).toEqual([
      { id: alpha.id, name: "alpha", description: "first", script_count: 1, created_at: alpha.created_at, updated_at: alpha.updated_at },
      { id: beta.id, name: "beta", description: "", script_count: 2, created_at: beta.created_at, updated_at: beta.updated_at },
    ]);
  });

  it("list of an unknown project is 404", async () => {
    await expectError(await api("GET", "/projects/prj_nope/packages"), 404, "not_found");
  });

  it("details list secret names but no secrets.json file", async () => {
    const created = await createPackage({ secrets: { API_KEY: "k-123456", OTHER: { nested: true } } });
    const details = await expectJson(await api("GET", `/packages/${created.id}`), 200);

    expect(fileNames(details)).toEqual(["main.js"]);
    expect(fileNames(details)).not.toContain("secrets.json");
    expect(details.secrets.map((s: { name: string }) => s.name)).toEqual(["API_KEY", "OTHER"]);
    for (const secret of details.secrets) expect(Object.keys(secret).sort()).toEqual(["created_at", "name", "updated_at"]);
    expect(JSON.stringify(details)).not.toContain("k-123456");
  });

  it("details of an unknown package is 404", async () => {
    const error = await expectError(await api("GET", "/packages/pkg_missing"), 404, "not_found");
    expect(error.message).toBe('Package "pkg_missing" was not found.');
  });

  it("script view returns the source as JavaScript", async () => {
    const source = "export default async function main() {\n  console.log('hello');\n}\n";
    const details = await createPackage({ scripts: [script("hello.js", source)] });
    const response = await api("GET", `/packages/${details.id}/scripts/hello.js`);

    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    expect(response.headers.get("content-disposition")).toBeNull();
    expect(response.headers.get("x-content-type-options")).toBe("nosniff");
    expect(await response.text()).toBe(source);
  });

  it("script download is an attachment", async () => {
    const details = await createPackage({ scripts: [script("report.mjs")] });
    const response = await api("GET", `/packages/${details.id}/scripts/report.mjs?download=1`);

    expect(response.status).toBe(200);
    expect(response.headers.get("content-disposition")).toBe('attachment; filename="report.mjs"');
    expect(await response.text()).toBe(TRIVIAL_SCRIPT);
  });

  it.each(["secrets.json", "SECRETS.JSON", "missing.js"])("script %s is 404", async (file) => {
    const details = await createPackage({ secrets: { A_SECRET: "value-1234" } });
    const response = await api("GET", `/packages/${details.id}/scripts/${file}`);
    const error = await expectError(response, 404, "not_found");
    expect(error.message).toBe(`Script ${JSON.stringify(file)} was not found.`);
  });

  it("secrets.json is 404 even if a row had that name", async () => {
    const details = await createPackage();
    await env.DB.prepare(
      `INSERT INTO scripts (workspace_id, package_id, position, file_name, source, sha256, size, updated_at)
       VALUES ('ws_local', ?, 99, 'secrets.json', '{"LEAK":"value-9876"}', 'x', 1, 'now')`,
    )
      .bind(details.id)
      .run();

    const response = await api("GET", `/packages/${details.id}/scripts/secrets.json`);
    expect(response.status).toBe(404);
    expect(await response.text()).not.toContain("value-9876");
  });

  it("secrets.json download is 404", async () => {
    const details = await createPackage({ secrets: { A_SECRET: "value-1234" } });
    const response = await api("GET", `/packages/${details.id}/scripts/secrets.json?download=1`);
    const text = await response.text();
    expect(response.status).toBe(404);
    expect(text).not.toContain("value-1234");
  });
});

describe("package update", () => {
  it("patch changes settings and config", async () => {
    const created = await createPackage();
    const updated = await expectJson(
      await api("PATCH", `/packages/${created.id}`, {
        description: "new text",
        timeout_seconds: 5,
        allowed_hosts: ["api.example.com"],
        active: false,
        allow_manual_triggering: false,
        config: { mode: "fast" },
      }),
      200,
    );

    expect(updated.description).toBe("new text");
    expect(updated.timeout_seconds).toBe(5);
    expect(updated.allowed_hosts).toEqual(["api.example.com"]);
    expect(updated.active).toBe(false);
    expect(updated.allow_manual_triggering).toBe(false);
    expect(updated.config).toEqual({ mode: "fast" });
    expect(updated.updated_at >= created.updated_at).toBe(true);
    expect(await count("SELECT timeout_ms AS count FROM packages WHERE id = ?", created.id)).toBe(5000);
  });

  it("patch leaves other fields alone", async () => {
    const created = await createPackage({ description: "keep me", manifest: { timeout_seconds: 60 } });
    const updated = await expectJson(await api("PATCH", `/packages/${created.id}`, { active: false }), 200);
    expect(updated.description).toBe("keep me");
    expect(updated.timeout_seconds).toBe(60);
  });

  it("patch execution_order reorders scripts", async () => {
    const created = await createPackage({ scripts: [script("a.js"), script("b.js"), script("c.js")] });
    const updated = await expectJson(await api("PATCH", `/packages/${created.id}`, { execution_order: ["c.js", "a.js", "b.js"] }), 200);

    expect(fileNames(updated)).toEqual(["c.js", "a.js", "b.js"]);
    expect(updated.scripts.map((s: { position: number }) => s.position)).toEqual([1, 2, 3]);
    const bySha = new Map(created.scripts.map((s: { file_name: string; sha256: string }) => [s.file_name, s.sha256]));
    for (const s of updated.scripts) expect(s.sha256).toBe(bySha.get(s.file_name));
  });

  it("patch entrypoint sets and clears it", async () => {
    const created = await createPackage({ scripts: [script("a.js"), script("b.js")] });
    const set = await expectJson(await api("PATCH", `/packages/${created.id}`, { entrypoint: "b.js" }), 200);
    expect(set.entrypoint).toBe("b.js");
    const cleared = await expectJson(await api("PATCH", `/packages/${created.id}`, { entrypoint: null }), 200);
    expect(cleared.entrypoint).toBeNull();
  });

  it.each([
    ["incomplete order", { execution_order: ["a.js"] }, 'execution_order must list every script; add "b.js"'],
    ["unknown entrypoint", { entrypoint: "z.js" }, 'entrypoint names "z.js", which is not one of the scripts (a.js, b.js)'],
    ["bad host", { allowed_hosts: ["http://x.com"] }, "without a scheme"],
  ])("patch rejects %s", async (_case, body, fragment) => {
    const created = await createPackage({ scripts: [script("a.js"), script("b.js")] });
    const error = await expectError(await api("PATCH", `/packages/${created.id}`, body), 400, "invalid_request");
    expect(error.message).toContain(fragment);

    const after = await expectJson(await api("GET", `/packages/${created.id}`), 200);
    expect(after).toEqual(created);
  });

  it.each([
    ["timeout over 300", { timeout_seconds: 301 }],
    ["unknown field", { name: "renamed" }],
    ["non-object config", { config: [1] }],
  ])("patch schema rejects %s", async (_case, body) => {
    const created = await createPackage();
    await expectError(await api("PATCH", `/packages/${created.id}`, body), 400, "invalid_request");
  });

  it("patch with no field is rejected", async () => {
    const created = await createPackage();
    const error = await expectError(await api("PATCH", `/packages/${created.id}`, {}), 400, "empty_update");
    expect(error.message).toContain("sets no field");
  });

  it("put scripts replaces them in upload order", async () => {
    const created = await createPackage({ scripts: [script("old.js"), script("keep.js")] });
    const source = "export default function main() { return 2; }\n";
    const response = await api("PUT", `/packages/${created.id}/scripts`, scriptsForm([script("new.js", source), script("keep.js")]));
    const updated = await expectJson(response, 200);

    expect(fileNames(updated)).toEqual(["new.js", "keep.js"]);
    expect(await count("SELECT COUNT(*) AS count FROM scripts WHERE package_id = ?", created.id)).toBe(2);
    const view = await api("GET", `/packages/${created.id}/scripts/new.js`);
    expect(await view.text()).toBe(source);
    await expectError(await api("GET", `/packages/${created.id}/scripts/old.js`), 404, "not_found");
  });

  it("put scripts reorders by upload order", async () => {
    const created = await createPackage({ scripts: [script("a.js"), script("b.js")] });
    const updated = await expectJson(await api("PUT", `/packages/${created.id}/scripts`, scriptsForm([script("b.js"), script("a.js")])), 200);
    expect(fileNames(updated)).toEqual(["b.js", "a.js"]);
  });

  it("put scripts applies the upload checks", async () => {
    const created = await createPackage();
    const bad = scriptsForm([script("ok.js"), script("bad.py", "print(1)")]);
    const error = await expectError(await api("PUT", `/packages/${created.id}/scripts`, bad), 400, "unsupported_script_type");
    expect(error.message).toContain("steps are JavaScript modules");

    const after = await expectJson(await api("GET", `/packages/${created.id}`), 200);
    expect(fileNames(after)).toEqual(["main.js"]);
  });

  it("put scripts keeps a listed entrypoint and rejects dropping it", async () => {
    const created = await createPackage({ scripts: [script("a.js"), script("b.js")], manifest: { entrypoint: "b.js" } });
    const error = await expectError(await api("PUT", `/packages/${created.id}/scripts`, scriptsForm([script("a.js")])), 400, "entrypoint_missing");
    expect(error.message).toContain('The package\'s entrypoint "b.js" is not among the uploaded scripts');

    const kept = await expectJson(await api("PUT", `/packages/${created.id}/scripts`, scriptsForm([script("b.js"), script("c.js")])), 200);
    expect(kept.entrypoint).toBe("b.js");
  });

  it("put scripts rejects other fields", async () => {
    const created = await createPackage();
    const form = scriptsForm([script("a.js")]);
    form.append("name", "renamed");
    await expectError(await api("PUT", `/packages/${created.id}/scripts`, form), 400, "unknown_field");
  });
});

describe("package delete", () => {
  it("removes scripts, secrets, data key and state but keeps executions", async () => {
    const project = await createProject();
    const created = await createPackage({ project: project.id, secrets: { DB_PASS: "hunter2-long" } });
    const id = created.id;
    const time = new Date().toISOString();

    await env.DB.prepare("INSERT INTO package_state (workspace_id, package_id, key, value, updated_at) VALUES ('ws_local', ?, 'k', '1', ?)")
      .bind(id, time)
      .run();
    await env.DB.prepare(
      `INSERT INTO executions (id, workspace_id, package_id, package_name, project_id, status, trigger, created_at)
       VALUES (?, 'ws_local', ?, ?, ?, 'completed', 'manual', ?)`,
    )
      .bind(`exe_${id.slice(4)}`, id, created.name, project.id, time)
      .run();
    expect(await count("SELECT COUNT(*) AS count FROM data_keys WHERE owner_id = ?", id)).toBe(1);

    const response = await api("DELETE", `/packages/${id}`);
    expect(response.status).toBe(204);

    expect(await count("SELECT COUNT(*) AS count FROM packages WHERE id = ?", id)).toBe(0);
    expect(await count("SELECT COUNT(*) AS count FROM scripts WHERE package_id = ?", id)).toBe(0);
    expect(await count("SELECT COUNT(*) AS count FROM secrets WHERE scope = 'package' AND owner_id = ?", id)).toBe(0);
    expect(await count("SELECT COUNT(*) AS count FROM data_keys WHERE scope = 'package' AND owner_id = ?", id)).toBe(0);
    expect(await count("SELECT COUNT(*) AS count FROM package_state WHERE package_id = ?", id)).toBe(0);
    expect(await count("SELECT COUNT(*) AS count FROM executions WHERE package_id = ?", id)).toBe(1);

    await expectError(await api("GET", `/packages/${id}`), 404, "not_found");
    await expectError(await api("DELETE", `/packages/${id}`), 404, "not_found");
  });

  it("leaves other packages alone", async () => {
    const project = await createProject();
    const doomed = await createPackage({ project: project.id, secrets: { A_KEY: "aaaa-1" } });
    const survivor = await createPackage({ project: project.id, secrets: { A_KEY: "bbbb-2" } });

    expect((await api("DELETE", `/packages/${doomed.id}`)).status).toBe(204);

    const details = await expectJson(await api("GET", `/packages/${survivor.id}`), 200);
    expect(details.secrets.map((s: { name: string }) => s.name)).toEqual(["A_KEY"]);
    expect(await count("SELECT COUNT(*) AS count FROM data_keys WHERE owner_id = ?", survivor.id)).toBe(1);
  });

  it("records package changes in the audit trail", async () => {
    const created = await createPackage({ secrets: { AUDITED: "value-xyz" } });
    await expectJson(await api("PATCH", `/packages/${created.id}`, { active: false }), 200);
    expect((await api("DELETE", `/packages/${created.id}`)).status).toBe(204);

    const { results } = await env.DB.prepare("SELECT action, secret_name, detail FROM audit_events WHERE package_id = ? ORDER BY seq")
      .bind(created.id)
      .all<{ action: string; secret_name: string | null; detail: string }>();
    expect(results.map((r) => r.action)).toEqual(["package.created", "secret.created", "package.updated", "package.deleted"]);
    expect(results[1]!.secret_name).toBe("AUDITED");
    expect(JSON.stringify(results)).not.toContain("value-xyz");
  });
});

describe("uploaded packages run", () => {
  const step = (label: string) =>
    `import { get_secret } from "ferris_ef";\nexport default async function main() {\n  console.log("${label}");\n}\n`;

  it("steps follow the stored script order", async () => {
    const created = await createPackage({
      scripts: [script("one.js", step("one")), script("two.js", step("two"))],
      manifest: { execution_order: ["two.js", "one.js"] },
    });
    const execution = await expectJson(await api("POST", `/packages/${created.id}/executions?wait=1`, {}), 201);

    expect(execution.status).toBe("completed");
    expect(execution.steps.map((s: { file_name: string }) => s.file_name)).toEqual(["two.js", "one.js"]);
    expect(execution.steps.map((s: { position: number }) => s.position)).toEqual([1, 2]);
  });

  it("an entrypoint is the only step", async () => {
    const created = await createPackage({
      scripts: [script("one.js", step("one")), script("two.js", step("two"))],
      manifest: { entrypoint: "two.js" },
    });
    const execution = await expectJson(await api("POST", `/packages/${created.id}/executions?wait=1`, {}), 201);
    expect(execution.steps.map((s: { file_name: string }) => s.file_name)).toEqual(["two.js"]);
  });

  it("an inactive package does not run", async () => {
    const created = await createPackage({ manifest: { active: false } });
    const response = await api("POST", `/packages/${created.id}/executions?wait=1`, {});
    expect(response.status).toBe(409);
  });

  it("executions stay readable after delete", async () => {
    const created = await createPackage({ scripts: [script("one.js", step("one"))] });
    const execution = await expectJson(await api("POST", `/packages/${created.id}/executions?wait=1`, {}), 201);
    expect((await api("DELETE", `/packages/${created.id}`)).status).toBe(204);

    const after = await expectJson(await api("GET", `/executions/${execution.id}`), 200);
    expect(after.status).toBe("completed");
  });
});
