import { env, evictDurableObject, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { Db } from "../worker/db";
import type { Executor } from "../worker/executor/executor";
import { RUNNABLE_PACKAGE_COLUMNS, startExecution, type RunnablePackage } from "../worker/executor/start";
import { executorOf, outputText, putSecrets, readRun, runToEnd, seedPackage, WORKSPACE_ID, TEST_TRIGGER } from "./executor-fixtures";

const SDK = 'import { get_secret, get_param, context } from "ferris_ef";\n';

function script(body: string): string {
  return `${SDK}export default async function main() {\n${body}\n}\n`;
}

function uniqueSecretName(prefix: string): string {
  return `${prefix}_${crypto.randomUUID().replace(/-/g, "").slice(0, 12).toUpperCase()}`;
}

describe("executor steps", () => {
  it("runs steps in order", async () => {
    const { packageId } = await seedPackage({
      scripts: ["a.js", "b.js", "c.js"].map((name) => ({ name, source: script(`  console.log(${JSON.stringify(name)});`) })),
    });
    const run = await runToEnd(packageId);
    expect(run.status).toBe("completed");
    expect(run.steps.map((step) => step.file_name)).toEqual(["a.js", "b.js", "c.js"]);
    expect(run.stepResults.map((step) => step.output[0]!.text)).toEqual(["a.js", "b.js", "c.js"]);
    const starts = run.stepResults.map((step) => Date.parse(step.started_at!));
    expect(starts).toEqual([...starts].sort((x, y) => x - y));
  });

  it("marks steps after a failure unprocessed", async () => {
    const { packageId } = await seedPackage({
      scripts: [
        { name: "a.js", source: script("  console.log('a');") },
        { name: "b.js", source: script("  throw new Error('stop here');") },
        { name: "c.js", source: script("  console.log('c');") },
      ],
    });
    const run = await runToEnd(packageId);
    expect(run.status).toBe("failed");
    expect(run.failure_reason).toBe("step_failed");
    expect(run.steps.map((step) => step.status)).toEqual(["completed", "failed", "unprocessed"]);
    expect(run.stepResults[2]!.started_at).toBeNull();
  });

  it("runs only the entrypoint when one is set", async () => {
    const { packageId } = await seedPackage({
      scripts: [
        { name: "a.js", source: script("  console.log('a');") },
        { name: "b.js", source: script("  console.log('b');") },
      ],
      entrypoint: "b.js",
    });
    const run = await runToEnd(packageId);
    expect(run.steps).toHaveLength(1);
    expect(run.steps[0]!.position).toBe(1);
    expect(outputText(run)).toBe("b");
  });

  it("passes params with built-ins that win", async () => {
    const { packageId } = await seedPackage({
      scripts: [{ name: "main.js", source: script("  console.log(get_param('region'), get_param('package_id'), get_param('missing'), context.package.id);") }],
      config: { mode: "fast" },
    });
    const run = await runToEnd(packageId, { region: "eu", package_id: "spoofed" });
    expect(outputText(run)).toBe(`eu ${packageId} null ${packageId}`);
    expect(run.params.execution_id).toBe(run.id);
  });

  it("reads config", async () => {
    const { packageId } = await seedPackage({
      scripts: [{ name: "main.js", source: script("  console.log(context.config.get('mode'), context.config.get('absent'));") }],
      config: { mode: "fast" },
    });
    expect(outputText(await runToEnd(packageId))).toBe("fast null");
  });

  it("runs queued executions one at a time", async () => {
    const { packageId } = await seedPackage({
      scripts: [{ name: "main.js", source: script("  const n = (await context.state.get('n')) ?? 0;\n  await new Promise((r) => setTimeout(r, 30));\n  await context.state.put('n', n + 1);") }],
    });
    const runs = await Promise.all([runToEnd(packageId), runToEnd(packageId), runToEnd(packageId)]);
    for (const run of runs) expect(run.status).toBe("completed");
    const row = await env.DB.prepare("SELECT value FROM package_state WHERE package_id = ? AND key = 'n'").bind(packageId).first<{ value: string }>();
    expect(row?.value).toBe("3");
  });
});

describe("package state", () => {
  it("persists across runs", async () => {
    const { packageId } = await seedPackage({
      scripts: [
        {
          name: "main.js",
          source: script("  const runs = (await context.state.get('runs')) ?? 0;\n  await context.state.put('runs', runs + 1);\n  console.log(JSON.stringify(await context.state.get()));"),
        },
      ],
    });
    await runToEnd(packageId);
    const second = await runToEnd(packageId);
    expect(outputText(second)).toBe('{"runs":2}');
  });

  it("rejects a value over the limit", async () => {
    const { packageId } = await seedPackage({
      scripts: [{ name: "main.js", source: script("  await context.state.put('big', 'x'.repeat(70000));") }],
    });
    const run = await runToEnd(packageId);
    expect(run.stepResults[0]!.error!.message).toContain("over the limit of 65536");
  });

  it.each([
    ["the value itself", "value"],
    ["an object holding it", "{ db: { password: value } }"],
    ["its base64 form", "btoa(value)"],
    ["its URL-encoded form", "'https://db.test/?p=' + encodeURIComponent(value)"],
    ["its JSON text", "JSON.stringify({ password: value })"],
  ])("rejects %s of a secret", async (_name, expression) => {
    const { packageId } = await seedPackage({
      scripts: [
        {
          name: "main.js",
          source: script(`  const value = await get_secret('DB_PASS');\n  await context.state.put('stash', ${expression});`),
        },
      ],
      secrets: { package: { DB_PASS: 'supersecret"pas$' } },
    });
    const run = await runToEnd(packageId);
    const step = run.stepResults[0]!;
    expect(step.failure_reason).toBe("error");
    expect(step.error!.message).toBe(
      'Error: context.state.put: the value of "stash" contains a secret value that this run read or set, and state is stored unencrypted. Store secrets with context.secrets.set instead, and read them with get_secret.',
    );
    const rows = await env.DB.prepare("SELECT COUNT(*) AS n FROM package_state WHERE package_id = ?").bind(packageId).first<{ n: number }>();
    expect(rows?.n).toBe(0);
  });

  it("rejects a secret that the run set", async () => {
    const name = uniqueSecretName("SET");
    const { packageId } = await seedPackage({
      scripts: [
        {
          name: "main.js",
          source: script(
            `  await context.secrets.set('${name}', 'freshly-set-token');\n  try {\n    await context.state.put('token', ['freshly-set-token']);\n  } catch (error) {\n    console.log(error.message);\n  }\n  console.log(JSON.stringify(await context.state.get()));`,
          ),
        },
      ],
    });
    const lines = outputText(await runToEnd(packageId)).split("\n");
    expect(lines[0]).toContain('the value of "token" contains a secret value that this run read or set');
    expect(lines[1]).toBe("{}");
  });

  it("rejects a key that contains a secret", async () => {
    const { packageId } = await seedPackage({
      scripts: [{ name: "main.js", source: script("  await context.state.put('k-' + (await get_secret('API_KEY')), 1);") }],
      secrets: { package: { API_KEY: "key-material-123" } },
    });
    const step = (await runToEnd(packageId)).stepResults[0]!;
    expect(step.error!.message).toContain("context.state.put: the key contains a secret value that this run read or set");
    const rows = await env.DB.prepare("SELECT COUNT(*) AS n FROM package_state WHERE package_id = ?").bind(packageId).first<{ n: number }>();
    expect(rows?.n).toBe(0);
  });

  it("stores state without a secret", async () => {
    const { packageId } = await seedPackage({
      scripts: [
        {
          name: "main.js",
          source: script("  const value = await get_secret('DB_PASS');\n  await context.state.put('length', { chars: value.length, at: 'db.test' });"),
        },
      ],
      secrets: { package: { DB_PASS: "supersecretpas$" } },
    });
    const run = await runToEnd(packageId);
    expect(run.status).toBe("completed");
    const row = await env.DB.prepare("SELECT value FROM package_state WHERE package_id = ? AND key = 'length'").bind(packageId).first<{ value: string }>();
    expect(row?.value).toBe('{"chars":15,"at":"db.test"}');
  });
});

describe("secret lookups", () => {
  it("looks up package, then project, then platform, then null", async () => {
    const shared = uniqueSecretName("SHARED");
    const projectOnly = uniqueSecretName("PRJ");
    const platformOnly = uniqueSecretName("PLT");
    const { packageId } = await seedPackage({
      scripts: [
        {
          name: "main.js",
          source: script(
            `  console.log(await get_secret(${JSON.stringify(shared)}) === "from-package-scope");\n` +
              `  console.log(await get_secret(${JSON.stringify(projectOnly)}) === "from-project-scope");\n` +
              `  console.log(await get_secret(${JSON.stringify(platformOnly)}) === "from-platform-scope");\n` +
              "  console.log(await get_secret('NOT_THERE_AT_ALL'));",
          ),
        },
      ],
      secrets: {
        package: { [shared]: "from-package-scope" },
        project: { [shared]: "shadowed-project", [projectOnly]: "from-project-scope" },
        platform: { [shared]: "shadowed-platform", [projectOnly]: "shadowed-platform-2", [platformOnly]: "from-platform-scope" },
      },
    });
    const run = await runToEnd(packageId);
    expect(outputText(run)).toBe("true\ntrue\ntrue\nnull");
    expect(run.stepResults[0]!.provenance).toEqual([
      { name: shared, scope: "package", action: "read" },
      { name: projectOnly, scope: "project", action: "read" },
      { name: platformOnly, scope: "platform", action: "read" },
    ]);
  });

  it("reads 150 secrets in one step", async () => {
    const secrets: Record<string, string> = {};
    for (let i = 0; i < 150; i++) secrets[`KEY_${i}`] = `value-number-${i}`;
    const { packageId } = await seedPackage({
      scripts: [
        {
          name: "main.js",
          source: script(
            "  let ok = 0;\n  for (let i = 0; i < 150; i++) if ((await get_secret('KEY_' + i)) === 'value-number-' + i) ok++;\n  console.log('ok ' + ok);",
          ),
        },
      ],
      secrets: { package: secrets },
    });
    const run = await runToEnd(packageId);
    expect(outputText(run)).toBe("ok 150");
    expect(run.stepResults[0]!.provenance).toHaveLength(150);
  });

  it("counts the same D1 statements for 1 and 60 reads", async () => {
    const secrets: Record<string, string> = {};
    for (let i = 0; i < 60; i++) secrets[`KEY_${i}`] = `value-number-${i}`;
    const reader = (count: number) =>
      script(`  for (let i = 0; i < ${count}; i++) await get_secret('KEY_' + i);`);
    const one = await seedPackage({ scripts: [{ name: "main.js", source: reader(1) }], secrets: { package: secrets } });
    const sixty = await seedPackage({ scripts: [{ name: "main.js", source: reader(60) }], secrets: { package: secrets } });
    const runOne = await runToEnd(one.packageId);
    const runSixty = await runToEnd(sixty.packageId);
    expect(runOne.d1_queries).toBeGreaterThan(0);
    expect(runSixty.d1_queries).toBe(runOne.d1_queries);
  });

  it("fails the step with integrity for a tampered secret", async () => {
    const { packageId } = await seedPackage({
      scripts: [{ name: "main.js", source: script("  try { await get_secret('TAMPERED'); } catch (e) { console.log('swallowed'); }") }],
      secrets: { package: { TAMPERED: "original-value" } },
    });
    await env.DB.prepare(
      "UPDATE secrets SET ciphertext = ? WHERE owner_id = ? AND name = 'TAMPERED'",
    ).bind(new Uint8Array([1, ...new Array(40).fill(7)]), packageId).run();
    const run = await runToEnd(packageId);
    expect(run.failure_reason).toBe("integrity");
    expect(run.stepResults[0]!.failure_reason).toBe("integrity");
    expect(run.stepResults[0]!.error!.message).toContain('The package secret "TAMPERED" failed its integrity check');
  });
});

describe("context.secrets.set", () => {
  it("stores a project secret that the next run reads", async () => {
    const name = uniqueSecretName("TOKEN");
    const { packageId } = await seedPackage({
      scripts: [
        {
          name: "main.js",
          source: script(
            `  const current = await get_secret(${JSON.stringify(name)});\n` +
              `  if (current === null) await context.secrets.set(${JSON.stringify(name)}, "token-value-1", "project");\n` +
              `  console.log(current === null ? "set" : "seen " + (current === "token-value-1"));\n` +
              `  console.log(await get_secret(${JSON.stringify(name)}));`,
          ),
        },
      ],
    });
    const first = await runToEnd(packageId);
    expect(outputText(first)).toBe("set\n***");
    expect(first.stepResults[0]!.provenance).toContainEqual({ name, scope: "project", action: "write" });
    const second = await runToEnd(packageId);
    expect(outputText(second)).toBe("seen true\n***");
  });

  it("rejects platform scope when the workspace disallows it", async () => {
    await env.DB.prepare("UPDATE workspaces SET allow_script_platform_secrets = 0 WHERE id = ?").bind(WORKSPACE_ID).run();
    try {
      const name = uniqueSecretName("PLATFORM");
      const { packageId } = await seedPackage({
        scripts: [{ name: "main.js", source: script(`  await context.secrets.set(${JSON.stringify(name)}, "value-x", "platform");`) }],
      });
      const run = await runToEnd(packageId);
      expect(run.stepResults[0]!.error!.message).toContain("this workspace does not allow scripts to write platform secrets");
      const row = await env.DB.prepare("SELECT name FROM secrets WHERE name = ?").bind(name).first();
      expect(row).toBeNull();
    } finally {
      await env.DB.prepare("UPDATE workspaces SET allow_script_platform_secrets = 1 WHERE id = ?").bind(WORKSPACE_ID).run();
    }
  });

  it("rejects package scope", async () => {
    const { packageId } = await seedPackage({
      scripts: [{ name: "main.js", source: script("  await context.secrets.set('PKG_SECRET', 'v1234', 'package');") }],
    });
    const run = await runToEnd(packageId);
    expect(run.stepResults[0]!.error!.message).toContain("cannot write package secrets");
  });

  it("rejects an invalid name and a null value", async () => {
    const { packageId } = await seedPackage({
      scripts: [
        {
          name: "main.js",
          source: script(
            "  for (const [n, v] of [['bad name', 'v1'], ['GOOD', null]]) {\n    try { await context.secrets.set(n, v); } catch (e) { console.log(e.message); }\n  }",
          ),
        },
      ],
    });
    const lines = outputText(await runToEnd(packageId)).split("\n");
    expect(lines).toHaveLength(2);
    expect(lines[0]).toContain("bad name");
    expect(lines[1]).toContain("GOOD");
  });
});

describe("masking", () => {
  it("masks a multi-line JSON value and its encoded forms", async () => {
    const value = { host: "db.internal.example", password: "line-one-secret\nline-two-secret" };
    const { packageId } = await seedPackage({
      scripts: [
        {
          name: "main.js",
          source: script(
            "  const v = await get_secret('DB');\n" +
              "  console.log(JSON.stringify(v));\n" +
              "  console.log(v.password);\n" +
              "  console.log('b64 ' + btoa(v.host));\n" +
              "  console.log('url ' + encodeURIComponent(v.password));\n" +
              "  throw new Error('failed with ' + v.host);",
          ),
        },
      ],
      secrets: { package: { DB: value } },
    });
    const run = await runToEnd(packageId);
    const step = run.stepResults[0]!;
    expect(step.output.map((line) => line.text)).toEqual(["***", "***", "b64 ***", "url ***"]);
    expect(step.error!.message).toBe("Error: failed with ***");
    const stored = JSON.stringify(step);
    expect(stored).not.toContain("line-one-secret");
    expect(stored).not.toContain("db.internal.example");
  });

  it("serves and masks a value with a lone surrogate", async () => {
    const { packageId } = await seedPackage({
      scripts: [{ name: "main.js", source: script("  const v = await get_secret('ODD');\n  console.log('got ' + v);\n  console.log(v.length);") }],
      secrets: { package: { ODD: "\ud800lone-surrogate-secret" } },
    });
    const run = await runToEnd(packageId);
    expect(run.status).toBe("completed");
    expect(outputText(run)).toBe("got ***\n22");
  });
});

describe("interrupted runs", () => {
  it("end failed with interrupted after a restart", async () => {
    const { packageId } = await seedPackage({
      scripts: [
        { name: "a.js", source: script("  console.log('a');") },
        { name: "b.js", source: script("  console.log('b');") },
      ],
    });
    const db = new Db(env.DB);
    const pkg = (await db.first<RunnablePackage>(`SELECT ${RUNNABLE_PACKAGE_COLUMNS} FROM packages WHERE id = ?`, packageId))!;
    const event = await startExecution(db, WORKSPACE_ID, pkg, {}, TEST_TRIGGER);
    const stub = executorOf(packageId);

    // A previous life of the object was running step 1 when it stopped.
    await runInDurableObject(stub, async (_instance: Executor, state) => {
      await state.storage.put(`event:${event.executionId}`, event);
      await state.storage.put("queue", [event.executionId]);
      await state.storage.put("running", { executionId: event.executionId, position: 1 });
    });
    await evictDurableObject(stub);
    await stub.wait(event.executionId);

    const run = await readRun(event.executionId);
    expect(run.status).toBe("failed");
    expect(run.failure_reason).toBe("interrupted");
    expect(run.steps.map((step) => step.status)).toEqual(["failed", "unprocessed"]);
    expect(run.stepResults[0]!.failure_reason).toBe("interrupted");
  });

  it("continues queued runs after a restart", async () => {
    const { packageId } = await seedPackage({ scripts: [{ name: "a.js", source: script("  console.log('resumed');") }] });
    const db = new Db(env.DB);
    const pkg = (await db.first<RunnablePackage>(`SELECT ${RUNNABLE_PACKAGE_COLUMNS} FROM packages WHERE id = ?`, packageId))!;
    const event = await startExecution(db, WORKSPACE_ID, pkg, {}, TEST_TRIGGER);
    const stub = executorOf(packageId);
    await runInDurableObject(stub, async (_instance: Executor, state) => {
      await state.storage.put(`event:${event.executionId}`, event);
      await state.storage.put("queue", [event.executionId]);
    });
    await evictDurableObject(stub);

    // The constructor sets an alarm; waiting on the object wakes it.
    for (let i = 0; i < 100; i++) {
      const run = await readRun(event.executionId);
      if (run.status === "completed") break;
      await stub.wait(event.executionId);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const run = await readRun(event.executionId);
    expect(run.status).toBe("completed");
    expect(outputText(run)).toBe("resumed");
  });
});

describe("project secrets written by tests", () => {
  it("putSecrets helper writes what a run reads", async () => {
    const { packageId, projectId } = await seedPackage({ scripts: [{ name: "main.js", source: script("  console.log((await get_secret('LATE')) === 'late-value');") }] });
    await putSecrets("project", projectId, { LATE: "late-value" });
    expect(outputText(await runToEnd(packageId))).toBe("true");
  });
});
