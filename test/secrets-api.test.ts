import { createExecutionContext, env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { createApp } from "../worker/api/app";
import { secretWriteStatements, writeSecrets } from "../worker/secrets/store";
import { api, apiUrl, expectError, expectJson, TEST_ADMIN_TOKEN } from "./helpers/api";
import {
  containsBytes,
  decryptAll,
  insertPackage,
  insertProject,
  insertWorkspace,
  readDataKey,
  readSecretRows,
  testDb,
  testPlatformKey,
  WORKSPACE_ID,
} from "./helpers/secrets";

const encoder = new TextEncoder();

/** Every response body these tests read, checked at the end for leaked values. */
const responseTexts: string[] = [];

async function send(method: string, path: string, body?: string | Uint8Array): Promise<Response> {
  const response = await api(method, path, body);
  const text = await response.clone().text();
  responseTexts.push(text);
  return response;
}

function upload(path: string, secrets: Record<string, unknown>): Promise<Response> {
  return send("PUT", path, JSON.stringify(secrets));
}

function secretValue(label: string): string {
  return `sk-live-${label}-${crypto.randomUUID()}`;
}

async function listNames(path: string): Promise<string[]> {
  const body = await expectJson<{ secrets: { name: string }[] }>(await send("GET", path), 200);
  return body.secrets.map((secret) => secret.name);
}

describe("PUT /projects/{project}/secrets", () => {
  it("writes and lists names without values", async () => {
    const owner = await insertProject();
    const path = `/projects/${owner.ownerId}/secrets`;
    const apiKey = secretValue("project");

    const written = await expectJson(await upload(path, { API_KEY: apiKey, RETRIES: 3 }), 200);
    expect(written).toEqual({ written: 2, secrets: ["API_KEY", "RETRIES"] });

    const listed = await expectJson<{ secrets: Record<string, unknown>[] }>(await send("GET", path), 200);
    expect(listed.secrets.map((secret) => Object.keys(secret).sort())).toEqual([
      ["created_at", "name", "updated_at"],
      ["created_at", "name", "updated_at"],
    ]);
    expect(listed.secrets.map((secret) => secret.name)).toEqual(["API_KEY", "RETRIES"]);
    expect(await decryptAll(owner)).toEqual({ API_KEY: JSON.stringify(apiKey), RETRIES: "3" });
  });

  it("stores ciphertext without the plaintext", async () => {
    const owner = await insertProject();
    const value = secretValue("plaintext");
    await expectJson(await upload(`/projects/${owner.ownerId}/secrets`, { API_KEY: value, NESTED: { v: value } }), 200);

    const rows = await readSecretRows(owner);
    expect(rows).toHaveLength(2);
    for (const row of rows) {
      expect(containsBytes(row.ciphertext, encoder.encode(value))).toBe(false);
      expect(containsBytes(row.ciphertext, encoder.encode(value.slice(8, 24)))).toBe(false);
    }
  });

  it("records the writer and folded names", async () => {
    const owner = await insertProject();
    await expectJson(await upload(`/projects/${owner.ownerId}/secrets`, { Api_Key: "x" }), 200);

    const [row] = await readSecretRows(owner);
    expect(row!.name_folded).toBe("api_key");
    expect(row!.updated_by).toBe("admin");
    expect(row!.created_at).toBe(row!.updated_at);
  });

  it("upsert leaves other secrets alone", async () => {
    const owner = await insertProject();
    const path = `/projects/${owner.ownerId}/secrets`;
    await expectJson(await upload(path, { A: "a1", B: "b1" }), 200);
    const [, before] = await readSecretRows(owner);
    await new Promise((resolve) => setTimeout(resolve, 5));

    await expectJson(await upload(path, { B: "b2", C: "c1" }), 200);
    expect(await decryptAll(owner)).toEqual({ A: '"a1"', B: '"b2"', C: '"c1"' });

    const after = (await readSecretRows(owner)).find((row) => row.name === "B")!;
    expect(after.created_at).toBe(before!.created_at);
    expect(after.updated_at > before!.updated_at).toBe(true);
  });

  it("writes nothing when one key is bad", async () => {
    const owner = await insertProject();
    const response = await upload(`/projects/${owner.ownerId}/secrets`, { GOOD: "x", "bad key": "y" });

    const error = await expectError(response, 400, "invalid_name");
    expect(error.details).toEqual([
      { key: "bad key", reason: "may contain only letters, digits, underscores, dots and hyphens" },
    ]);
    expect(await readSecretRows(owner)).toEqual([]);
    expect(await readDataKey(owner)).toBeNull();
  });

  it("rejects a case variant of a stored name", async () => {
    const owner = await insertProject();
    const path = `/projects/${owner.ownerId}/secrets`;
    await expectJson(await upload(path, { API_KEY: "old" }), 200);

    const error = await expectError(await upload(path, { OTHER: "o", api_key: "new" }), 409, "case_conflict");
    expect(error.message).toBe(
      'Secret "api_key" differs only in letter case from "API_KEY": lookups are case-sensitive, ' +
        'so such names are easy to confuse and are rejected: use "API_KEY" or delete it first.',
    );
    expect(await decryptAll(owner)).toEqual({ API_KEY: '"old"' });
  });

  it("parses the raw body and rejects duplicate keys", async () => {
    const owner = await insertProject();
    const response = await send("PUT", `/projects/${owner.ownerId}/secrets`, '{"A": 1, "A": 2}');

    const error = await expectError(response, 400, "duplicate_key");
    expect(error.message).toBe(
      'The request body has the key "A" twice in one object (A, second at line 1, column 10): keep one of them.',
    );
  });

  it("accepts a UTF-8 BOM and rejects UTF-16", async () => {
    const owner = await insertProject();
    const path = `/projects/${owner.ownerId}/secrets`;
    const withBom = new Uint8Array([0xef, 0xbb, 0xbf, ...encoder.encode('{"BOM": "ok"}')]);
    await expectJson(await send("PUT", path, withBom), 200);

    const utf16 = new Uint8Array([0xff, 0xfe, 0x7b, 0x00, 0x7d, 0x00]);
    await expectError(await send("PUT", path, utf16), 400, "invalid_encoding");
    expect(await listNames(path)).toEqual(["BOM"]);
  });

  it("rejects a project of another workspace", async () => {
    const other = await insertProject(await insertWorkspace());
    const error = await expectError(await upload(`/projects/${other.ownerId}/secrets`, { A: 1 }), 404, "not_found");
    expect(error.message).toBe(`Project "${other.ownerId}" was not found.`);
    expect(await readSecretRows(other)).toEqual([]);
  });

  it("rejects an unknown project", async () => {
    await expectError(await upload("/projects/prj_missing/secrets", { A: 1 }), 404, "not_found");
    await expectError(await send("GET", "/projects/prj_missing/secrets"), 404, "not_found");
  });

  it("rejects a request without a token", async () => {
    const owner = await insertProject();
    const response = await api("PUT", `/projects/${owner.ownerId}/secrets`, '{"A": 1}', { anonymous: true });
    await expectError(response, 401, "unauthorized");
    expect(await readSecretRows(owner)).toEqual([]);
  });
});

describe("secret upload limits", () => {
  it("rejects a file over 1 MiB with 413", async () => {
    const owner = await insertProject();
    const big = `{"A": "${"x".repeat(1024 * 1024)}"}`;
    const error = await expectError(await send("PUT", `/projects/${owner.ownerId}/secrets`, big), 413, "file_too_large");
    expect(error.message).toBe(
      "The request body is 1048585 bytes, more than the limit of 1048576: split it into smaller uploads.",
    );
  });

  it("rejects a value over 64 KiB with 413", async () => {
    const owner = await insertProject();
    const response = await upload(`/projects/${owner.ownerId}/secrets`, { OK: 1, BIG: "x".repeat(64 * 1024) });
    await expectError(response, 413, "value_too_large");
    expect(await readSecretRows(owner)).toEqual([]);
  });

  it("rejects 1,001 keys with 413", async () => {
    const owner = await insertProject();
    const secrets = Object.fromEntries(Array.from({ length: 1001 }, (_, i) => [`K${i}`, i]));
    await expectError(await upload(`/projects/${owner.ownerId}/secrets`, secrets), 413, "too_many_keys");
  });

  it("rejects an owner total over 1,000 with 413", async () => {
    const owner = await insertProject();
    const path = `/projects/${owner.ownerId}/secrets`;
    const first = Object.fromEntries(Array.from({ length: 600 }, (_, i) => [`FIRST_${i}`, i]));
    const second = Object.fromEntries(Array.from({ length: 401 }, (_, i) => [`SECOND_${i}`, i]));
    await expectJson(await upload(path, first), 200);

    const error = await expectError(await upload(path, second), 413, "too_many_secrets");
    expect(error.message).toBe(
      `The project ${owner.ownerId} would hold 1001 secrets, more than the limit of 1000: delete unused secrets first.`,
    );
    expect(await readSecretRows(owner)).toHaveLength(600);
  });

  it("writes a 1,000-key upload", async () => {
    const owner = await insertProject();
    const secrets = Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`KEY_${i}`, `value-${i}`]));
    const written = await expectJson<{ written: number }>(await upload(`/projects/${owner.ownerId}/secrets`, secrets), 200);

    expect(written.written).toBe(1000);
    const decrypted = await decryptAll(owner);
    expect(Object.keys(decrypted)).toHaveLength(1000);
    expect(decrypted.KEY_0).toBe('"value-0"');
    expect(decrypted.KEY_999).toBe('"value-999"');
  });
});

describe("DELETE /projects/{project}/secrets/{name}", () => {
  it("deletes one secret and keeps the rest", async () => {
    const owner = await insertProject();
    const path = `/projects/${owner.ownerId}/secrets`;
    await expectJson(await upload(path, { A: 1, B: 2 }), 200);

    const response = await send("DELETE", `${path}/A`);
    expect(response.status).toBe(204);
    expect(await listNames(path)).toEqual(["B"]);
  });

  it("reports a missing secret", async () => {
    const owner = await insertProject();
    const path = `/projects/${owner.ownerId}/secrets`;
    await expectJson(await upload(path, { API_KEY: 1 }), 200);

    const error = await expectError(await send("DELETE", `${path}/api_key`), 404, "not_found");
    expect(error.message).toBe(
      `The project ${owner.ownerId} has no secret "api_key": names are matched exactly, ` +
        "so check the spelling and letter case in the secret listing.",
    );
    expect(await listNames(path)).toEqual(["API_KEY"]);
  });

  it("rejects an invalid name", async () => {
    const owner = await insertProject();
    const error = await expectError(await send("DELETE", `/projects/${owner.ownerId}/secrets/9lives`), 400, "invalid_name");
    expect(error.message).toBe('Invalid secret name "9lives": it must start with a letter or an underscore.');
  });

  it("records created, updated and deleted in the audit trail", async () => {
    const owner = await insertProject();
    const path = `/projects/${owner.ownerId}/secrets`;
    await expectJson(await upload(path, { A: 1 }), 200);
    await expectJson(await upload(path, { A: 2, B: 3 }), 200);
    expect((await send("DELETE", `${path}/B`)).status).toBe(204);

    const { results } = await env.DB.prepare(
      "SELECT action, secret_name, scope, owner_id, project_id FROM audit_events WHERE owner_id = ? ORDER BY seq",
    )
      .bind(owner.ownerId)
      .all();
    expect(results).toEqual([
      { action: "secret.created", secret_name: "A", scope: "project", owner_id: owner.ownerId, project_id: owner.ownerId },
      { action: "secret.updated", secret_name: "A", scope: "project", owner_id: owner.ownerId, project_id: owner.ownerId },
      { action: "secret.created", secret_name: "B", scope: "project", owner_id: owner.ownerId, project_id: owner.ownerId },
      { action: "secret.deleted", secret_name: "B", scope: "project", owner_id: owner.ownerId, project_id: owner.ownerId },
    ]);
  });
});

describe("PUT /packages/{package}/secrets", () => {
  it("replaces the package's secrets", async () => {
    const owner = await insertPackage();
    const path = `/packages/${owner.ownerId}/secrets`;
    await expectJson(await upload(path, { A: "a1", B: "b1" }), 200);
    const before = (await readSecretRows(owner)).find((row) => row.name === "B")!;

    const written = await expectJson(await upload(path, { B: "b2", C: "c1" }), 200);
    expect(written).toEqual({ written: 2, secrets: ["B", "C"] });
    expect(await decryptAll(owner)).toEqual({ B: '"b2"', C: '"c1"' });

    const after = (await readSecretRows(owner)).find((row) => row.name === "B")!;
    expect(after.created_at).toBe(before.created_at);
  });

  it("replaces a name with a case variant", async () => {
    const owner = await insertPackage();
    const path = `/packages/${owner.ownerId}/secrets`;
    await expectJson(await upload(path, { API_KEY: "old" }), 200);

    await expectJson(await upload(path, { api_key: "new" }), 200);
    expect(await decryptAll(owner)).toEqual({ api_key: '"new"' });
  });

  it("empties the package with an empty object", async () => {
    const owner = await insertPackage();
    const path = `/packages/${owner.ownerId}/secrets`;
    await expectJson(await upload(path, { A: 1 }), 200);

    expect(await expectJson(await upload(path, {}), 200)).toEqual({ written: 0, secrets: [] });
    expect(await readSecretRows(owner)).toEqual([]);
  });

  it("keeps the old secrets when the file is bad", async () => {
    const owner = await insertPackage();
    const path = `/packages/${owner.ownerId}/secrets`;
    await expectJson(await upload(path, { A: 1 }), 200);

    const error = await expectError(await upload(path, { B: null }), 400, "null_value");
    expect(error.message).toBe('Secret "B" is null: give each a value (an empty string is allowed) or remove the key.');
    expect(await decryptAll(owner)).toEqual({ A: "1" });
  });

  it("labels errors with secrets.json", async () => {
    const owner = await insertPackage();
    const error = await expectError(await send("PUT", `/packages/${owner.ownerId}/secrets`, "[]"), 400, "not_an_object");
    expect(error.message).toBe("secrets.json must be a JSON object of secret names and values, but it is an array.");
  });

  it("rejects a package of another workspace", async () => {
    const other = await insertPackage(await insertWorkspace());
    const error = await expectError(await upload(`/packages/${other.ownerId}/secrets`, { A: 1 }), 404, "not_found");
    expect(error.message).toBe(`Package "${other.ownerId}" was not found.`);
  });
});

describe("platform secrets", () => {
  it("write, list and delete at workspace scope", async () => {
    const name = `PLATFORM_${crypto.randomUUID().replaceAll("-", "_")}`;
    await expectJson(await upload("/platform/secrets", { [name]: secretValue("platform") }), 200);
    expect(await listNames("/platform/secrets")).toContain(name);

    const owner = { workspaceId: WORKSPACE_ID, scope: "platform" as const, ownerId: WORKSPACE_ID };
    expect((await readSecretRows(owner)).map((row) => row.name)).toContain(name);

    expect((await send("DELETE", `/platform/secrets/${name}`)).status).toBe(204);
    expect(await listNames("/platform/secrets")).not.toContain(name);
  });
});

describe("PLATFORM_KEY errors", () => {
  const app = createApp();

  async function putWithKey(platformKey: string | undefined): Promise<Response> {
    const owner = await insertProject();
    const request = new Request(apiUrl(`/projects/${owner.ownerId}/secrets`), {
      method: "PUT",
      headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` },
      body: '{"A": "x"}',
    });
    return app.fetch(request, { ...env, PLATFORM_KEY: platformKey }, createExecutionContext());
  }

  it("reports a missing key as platform_key_invalid", async () => {
    const error = await expectError(await putWithKey(undefined), 500, "platform_key_invalid");
    expect(error.message).toMatch(/^PLATFORM_KEY is missing: set PLATFORM_KEY to 32 random bytes in base64/);
  });

  it("reports a malformed key as platform_key_invalid", async () => {
    const error = await expectError(await putWithKey("c2hvcnQ="), 500, "platform_key_invalid");
    expect(error.message).toMatch(/^PLATFORM_KEY is malformed: it must decode to 32 bytes/);
  });
});

describe("secretWriteStatements", () => {
  it("writes nothing when the caller's batch fails", async () => {
    const owner = await insertProject();
    const db = testDb();
    const statements = await secretWriteStatements(db, await testPlatformKey(), owner, [{ name: "A", json: "1" }], {
      replace: false,
      actor: "admin",
    });
    const failing = db.prepare("INSERT INTO projects (id) VALUES (?)", "violates NOT NULL");

    await expect(db.batch([...statements, failing])).rejects.toThrow();
    expect(await readSecretRows(owner)).toEqual([]);
    expect(await readDataKey(owner)).toBeNull();
  });

  it("uses 36 statements for 1,000 keys on a new owner", async () => {
    const owner = await insertProject();
    const db = testDb();
    const entries = Array.from({ length: 1000 }, (_, i) => ({ name: `K${i}`, json: String(i) }));

    await writeSecrets(db, await testPlatformKey(), owner, entries, { replace: false, actor: "admin" });
    // Two reads, the data key insert, and 33 upserts of at most 31 rows.
    expect(db.statements).toBe(36);
    expect(await readSecretRows(owner)).toHaveLength(1000);
  });

  it("rejects two entries that differ only in case", async () => {
    const owner = await insertProject();
    const entries = [
      { name: "KEY", json: "1" },
      { name: "key", json: "2" },
    ];
    await expect(
      secretWriteStatements(testDb(), await testPlatformKey(), owner, entries, { replace: true, actor: "admin" }),
    ).rejects.toMatchObject({ status: 409, code: "case_conflict" });
  });
});

describe("secret responses", () => {
  it("never contain a value", () => {
    expect(responseTexts.length).toBeGreaterThan(20);
    for (const text of responseTexts) {
      expect(text).not.toMatch(/sk-live-/);
      expect(text).not.toContain("value-999");
      expect(text).not.toContain('"old"');
    }
  });
});
