/**
 * Platform key rotation. vitest.config.ts binds PLATFORM_KEY and PLATFORM_KEY_PREVIOUS, so the
 * Worker and the Executor have both keys. Tests write secrets wrapped by the previous key
 * through the store with that key alone, as a deployment did before the rotation began.
 */
import { createExecutionContext, env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { createApp } from "../worker/api/app";
import {
  decryptValue,
  generateWrappedDataKey,
  importPlatformKey,
  importPlatformKeyring,
  IntegrityError,
  PlatformKeyError,
  rewrapDataKey,
  unwrapDataKey,
  type Owner,
  type PlatformKey,
  type PlatformKeyring,
} from "../worker/crypto/envelope";
import { rewrapWorkspaceDataKeys } from "../worker/secrets/rotation";
import { writeSecrets } from "../worker/secrets/store";
import { api, apiUrl, expectError, expectJson, TEST_ADMIN_TOKEN } from "./helpers/api";
import { bearer, createProjectToken, insertToken, insertWorkspace } from "./helpers/access";
import { insertPackage, insertProject, readDataKey, readSecretRows, testDb } from "./helpers/secrets";
import { outputText, runToEnd, seedPackage, WORKSPACE_ID } from "./executor-fixtures";

interface RotationBody {
  rewrapped: number;
  remaining: number;
  current_key_id: string;
  previous_key_id: string;
}

const SDK = 'import { get_secret } from "ferris_ef";\n';

function keyring(): Promise<PlatformKeyring> {
  return importPlatformKeyring(env);
}

function previousKey(): Promise<PlatformKey> {
  return importPlatformKey(env.PLATFORM_KEY_PREVIOUS, "PLATFORM_KEY_PREVIOUS");
}

/** Writes secrets for `owner` as a deployment whose only key was the previous one did. */
async function writeUnderPreviousKey(owner: Owner, values: Record<string, unknown>): Promise<void> {
  const entries = Object.entries(values).map(([name, value]) => ({ name, json: JSON.stringify(value) }));
  await writeSecrets(testDb(), await previousKey(), owner, entries, { replace: false, actor: "admin" });
}

/** Calls the route through a fresh app with the given secrets in place of the test bindings. */
async function rotateWithSecrets(secrets: Record<string, string | undefined>): Promise<Response> {
  const request = new Request(apiUrl("/platform/rotate-key"), {
    method: "POST",
    headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` },
  });
  return await createApp().fetch(request, { ...env, ...secrets }, createExecutionContext());
}

async function dataKeyIds(workspaceId: string): Promise<string[]> {
  const { results } = await env.DB.prepare("SELECT platform_key_id FROM data_keys WHERE workspace_id = ?")
    .bind(workspaceId)
    .all<{ platform_key_id: string }>();
  return results.map((row) => row.platform_key_id);
}

async function rotationRecords(workspaceId: string) {
  const { results } = await env.DB.prepare(
    "SELECT actor_type, actor_id, detail FROM audit_events WHERE workspace_id = ? AND action = 'platform_key.rotated' ORDER BY seq",
  )
    .bind(workspaceId)
    .all<{ actor_type: string; actor_id: string; detail: string }>();
  return results;
}

function hex(bytes: Uint8Array): string {
  return [...bytes].map((byte) => byte.toString(16).padStart(2, "0")).join("");
}

describe("platform keyring", () => {
  it("imports both keys non-extractable", async () => {
    const keys = await keyring();
    expect(keys.current.key.extractable).toBe(false);
    expect(keys.previous!.key.extractable).toBe(false);
    expect(keys.previous!.id).toMatch(/^pk_[0-9a-f]{16}$/);
    expect(keys.previous!.id).not.toBe(keys.current.id);
  });

  it.each([
    ["unset", undefined],
    ["empty", ""],
    ["blank", "  \n"],
  ])("has no previous key when it is %s", async (_label, value) => {
    const keys = await importPlatformKeyring({ PLATFORM_KEY: env.PLATFORM_KEY, PLATFORM_KEY_PREVIOUS: value });
    expect(keys.previous).toBeNull();
  });

  it.each([
    ["not base64", "not base64 at all!"],
    ["16 bytes", btoa("sixteen-bytes!!!")],
  ])("reports a malformed previous key when %s", async (_label, value) => {
    const error = await importPlatformKeyring({ PLATFORM_KEY: env.PLATFORM_KEY, PLATFORM_KEY_PREVIOUS: value }).catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(PlatformKeyError);
    expect((error as Error).message).toBe(
      "PLATFORM_KEY_PREVIOUS is malformed: it must decode to 32 bytes; set PLATFORM_KEY_PREVIOUS to the retired " +
        "platform key, the exact value PLATFORM_KEY had (32 bytes in base64), or delete it with " +
        "`wrangler secret delete PLATFORM_KEY_PREVIOUS`.",
    );
  });

  it("checks PLATFORM_KEY before the previous key", async () => {
    const error = await importPlatformKeyring({ PLATFORM_KEY_PREVIOUS: env.PLATFORM_KEY_PREVIOUS }).catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(PlatformKeyError);
    expect((error as Error).message).toMatch(/^PLATFORM_KEY is missing: /);
  });

  it("wraps new data keys with the current key", async () => {
    const keys = await keyring();
    const owner = await insertProject();
    const wrapped = await generateWrappedDataKey(keys, owner);
    expect(wrapped.platformKeyId).toBe(keys.current.id);
  });

  it("unwraps a data key of the previous key", async () => {
    const keys = await keyring();
    const owner = await insertProject();
    const wrapped = await generateWrappedDataKey(keys.previous!, owner);

    const dataKey = await unwrapDataKey(keys, owner, wrapped);
    expect(dataKey.extractable).toBe(false);
  });

  it("rejects an unknown key id naming both keys", async () => {
    const keys = await keyring();
    const owner = await insertProject();
    const other = await importPlatformKey(btoa("a-third-platform-key-of-32-bytes"));
    const wrapped = await generateWrappedDataKey(other, owner);

    const error = await unwrapDataKey(keys, owner, wrapped).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(IntegrityError);
    expect((error as Error).message).toBe(
      `The project data key of ${owner.ownerId} was wrapped by platform key ${other.id}, ` +
        `but the current key is ${keys.current.id} and the previous key is ${keys.previous!.id}.`,
    );
  });

  it("rejects a data key whose id is forged to the previous key", async () => {
    const keys = await keyring();
    const owner = await insertProject();
    const other = await importPlatformKey(btoa("a-third-platform-key-of-32-bytes"));
    const wrapped = { ...(await generateWrappedDataKey(other, owner)), platformKeyId: keys.previous!.id };

    const error = await rewrapDataKey(keys, owner, wrapped).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(IntegrityError);
    expect((error as Error).message).toBe(
      `The project data key of ${owner.ownerId} failed to unwrap: it was altered or belongs to another owner.`,
    );
  });

  it("rewraps to the same data key under the current key", async () => {
    const keys = await keyring();
    // A workspace of its own, so that the route tests below count only their own keys.
    const owner = await insertProject(await insertWorkspace());
    await writeUnderPreviousKey(owner, { TOKEN: "sk-rewrap" });
    const before = (await readDataKey(owner))!;

    const after = await rewrapDataKey(keys, owner, before);
    expect(after.platformKeyId).toBe(keys.current.id);
    expect(hex(after.wrappedKey)).not.toBe(hex(before.wrappedKey));

    // The current key alone unwraps the result, and it decrypts the value stored before.
    const [row] = await readSecretRows(owner);
    const dataKey = await unwrapDataKey(keys.current, owner, after);
    expect(dataKey.extractable).toBe(false);
    expect(await decryptValue(dataKey, owner, "TOKEN", row!.ciphertext)).toBe('"sk-rewrap"');
  });
});

describe("POST /api/platform/rotate-key", () => {
  it("keeps old-key secrets readable by runs before and after", async () => {
    const keys = await keyring();
    const { packageId, projectId } = await seedPackage({
      scripts: [
        {
          name: "main.js",
          source:
            `${SDK}export default async function main() {\n` +
            "  console.log(String((await get_secret('PKG_TOKEN')) === 'sk-package-old'));\n" +
            "  console.log(String((await get_secret('PRJ_TOKEN')) === 'sk-project-old'));\n}\n",
        },
      ],
    });
    const packageOwner: Owner = { workspaceId: WORKSPACE_ID, scope: "package", ownerId: packageId };
    const projectOwner: Owner = { workspaceId: WORKSPACE_ID, scope: "project", ownerId: projectId };
    await writeUnderPreviousKey(packageOwner, { PKG_TOKEN: "sk-package-old" });
    await writeUnderPreviousKey(projectOwner, { PRJ_TOKEN: "sk-project-old" });
    expect((await readDataKey(packageOwner))!.platformKeyId).toBe(keys.previous!.id);

    const before = await runToEnd(packageId);
    expect(before.status, before.stepResults[0]?.error?.message).toBe("completed");
    expect(outputText(before)).toBe("true\ntrue");

    const ciphertextsBefore = [...(await readSecretRows(packageOwner)), ...(await readSecretRows(projectOwner))].map(
      (row) => hex(row.ciphertext),
    );
    const body = await expectJson<RotationBody>(await api("POST", "/platform/rotate-key"), 200);
    expect(body).toEqual({ rewrapped: 2, remaining: 0, current_key_id: keys.current.id, previous_key_id: keys.previous!.id });

    expect((await readDataKey(packageOwner))!.platformKeyId).toBe(keys.current.id);
    expect((await readDataKey(projectOwner))!.platformKeyId).toBe(keys.current.id);
    const ciphertextsAfter = [...(await readSecretRows(packageOwner)), ...(await readSecretRows(projectOwner))].map(
      (row) => hex(row.ciphertext),
    );
    expect(ciphertextsAfter).toEqual(ciphertextsBefore);

    const after = await runToEnd(packageId);
    expect(after.status, after.stepResults[0]?.error?.message).toBe("completed");
    expect(outputText(after)).toBe("true\ntrue");
  });

  it("rewraps every scope of the workspace and records it", async () => {
    const keys = await keyring();
    const workspaceId = await insertWorkspace();
    const { token, id: tokenId } = await insertToken({ workspaceId, role: "administrator" });

    // 42 data keys: more than the 32 rows of one UPDATE statement.
    const owners: Owner[] = [{ workspaceId, scope: "platform", ownerId: workspaceId }, await insertPackage(workspaceId)];
    for (let i = 0; i < 40; i++) owners.push(await insertProject(workspaceId));
    for (const [index, owner] of owners.entries()) await writeUnderPreviousKey(owner, { [`KEY_${index}`]: `value-${index}` });
    const ciphertextsBefore = (await Promise.all(owners.map(readSecretRows))).flat().map((row) => hex(row.ciphertext));

    const body = await expectJson<RotationBody>(await api("POST", "/platform/rotate-key", undefined, bearer(token)), 200);
    expect(body.rewrapped).toBe(42);
    expect(body.remaining).toBe(0);

    const ids = await dataKeyIds(workspaceId);
    expect(ids).toHaveLength(42);
    expect(new Set(ids)).toEqual(new Set([keys.current.id]));
    const ciphertextsAfter = (await Promise.all(owners.map(readSecretRows))).flat().map((row) => hex(row.ciphertext));
    expect(ciphertextsAfter).toEqual(ciphertextsBefore);
    for (const owner of owners) {
      await expect(unwrapDataKey(keys.current, owner, (await readDataKey(owner))!)).resolves.toBeDefined();
    }

    const records = await rotationRecords(workspaceId);
    expect(records).toEqual([
      {
        actor_type: "token",
        actor_id: tokenId,
        detail: `42 data keys rewrapped from platform key ${keys.previous!.id} to ${keys.current.id}`,
      },
    ]);
  });

  it("is idempotent", async () => {
    const workspaceId = await insertWorkspace();
    const { token } = await insertToken({ workspaceId, role: "administrator" });
    await writeUnderPreviousKey(await insertProject(workspaceId), { A: 1 });

    const first = await expectJson<RotationBody>(await api("POST", "/platform/rotate-key", undefined, bearer(token)), 200);
    const second = await expectJson<RotationBody>(await api("POST", "/platform/rotate-key", undefined, bearer(token)), 200);
    expect([first.rewrapped, first.remaining]).toEqual([1, 0]);
    expect([second.rewrapped, second.remaining]).toEqual([0, 0]);
    expect(await rotationRecords(workspaceId)).toHaveLength(1);
  });

  it("rewraps in bounded calls until none remain", async () => {
    const keys = await keyring();
    const workspaceId = await insertWorkspace();
    for (let i = 0; i < 5; i++) await writeUnderPreviousKey(await insertProject(workspaceId), { A: i });
    const context = { actor: { type: "admin" as const, id: "admin" }, limit: 3 };
    const rotation = { current: keys.current, previous: keys.previous! };

    expect(await rewrapWorkspaceDataKeys(testDb(), rotation, workspaceId, context)).toEqual({ rewrapped: 3, remaining: 2 });
    expect(await rewrapWorkspaceDataKeys(testDb(), rotation, workspaceId, context)).toEqual({ rewrapped: 2, remaining: 0 });
    expect(await rewrapWorkspaceDataKeys(testDb(), rotation, workspaceId, context)).toEqual({ rewrapped: 0, remaining: 0 });
    expect((await rotationRecords(workspaceId)).map((record) => record.detail.split(" ")[0])).toEqual(["3", "2"]);
  });

  it("touches only the caller's workspace", async () => {
    const keys = await keyring();
    const callerWorkspace = await insertWorkspace();
    const otherWorkspace = await insertWorkspace();
    const { token } = await insertToken({ workspaceId: callerWorkspace, role: "administrator" });
    await writeUnderPreviousKey(await insertProject(callerWorkspace), { A: 1 });
    await writeUnderPreviousKey(await insertProject(otherWorkspace), { A: 2 });

    const body = await expectJson<RotationBody>(await api("POST", "/platform/rotate-key", undefined, bearer(token)), 200);
    expect(body.rewrapped).toBe(1);
    expect(await dataKeyIds(callerWorkspace)).toEqual([keys.current.id]);
    expect(await dataKeyIds(otherWorkspace)).toEqual([keys.previous!.id]);
    expect(await rotationRecords(otherWorkspace)).toEqual([]);
  });

  it("leaves a data key of an unknown key failing closed", async () => {
    const keys = await keyring();
    const workspaceId = await insertWorkspace();
    const { token } = await insertToken({ workspaceId, role: "administrator" });
    const owner = await insertProject(workspaceId);
    const other = await importPlatformKey(btoa("a-third-platform-key-of-32-bytes"));
    await writeSecrets(testDb(), other, owner, [{ name: "A", json: "1" }], { replace: false, actor: "admin" });

    const body = await expectJson<RotationBody>(await api("POST", "/platform/rotate-key", undefined, bearer(token)), 200);
    expect([body.rewrapped, body.remaining]).toEqual([0, 0]);
    expect(await dataKeyIds(workspaceId)).toEqual([other.id]);

    const error = await unwrapDataKey(keys, owner, (await readDataKey(owner))!).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(IntegrityError);
  });

  it("writes nothing when one data key fails to unwrap", async () => {
    const keys = await keyring();
    const workspaceId = await insertWorkspace();
    const { token } = await insertToken({ workspaceId, role: "administrator" });
    const good = await insertProject(workspaceId);
    const bad = await insertProject(workspaceId);
    await writeUnderPreviousKey(good, { A: 1 });
    await writeUnderPreviousKey(bad, { A: 2 });

    // Flip one byte of the second wrapped key, as tampering in D1 would.
    const tampered = (await readDataKey(bad))!.wrappedKey;
    tampered[tampered.length - 1]! ^= 0x01;
    await env.DB.prepare("UPDATE data_keys SET wrapped_key = ? WHERE workspace_id = ? AND owner_id = ?")
      .bind(tampered, workspaceId, bad.ownerId)
      .run();

    const error = await expectError(await api("POST", "/platform/rotate-key", undefined, bearer(token)), 409, "data_key_integrity");
    expect(error.message).toBe(
      `The project data key of ${bad.ownerId} failed to unwrap: it was altered or belongs to another owner. ` +
        "Nothing was rewrapped: delete that owner's secrets and upload them again, then retry.",
    );
    expect(await dataKeyIds(workspaceId)).toEqual([keys.previous!.id, keys.previous!.id]);
    expect(await rotationRecords(workspaceId)).toEqual([]);
  });

  it("returns 409 without PLATFORM_KEY_PREVIOUS", async () => {
    const error = await expectError(await rotateWithSecrets({ PLATFORM_KEY_PREVIOUS: undefined }), 409, "no_previous_platform_key");
    expect(error.message).toBe(
      "PLATFORM_KEY_PREVIOUS is not set, so there is no key to rotate from: set it to the retired key with " +
        "`wrangler secret put PLATFORM_KEY_PREVIOUS`, set PLATFORM_KEY to a new key, then call this route again.",
    );
  });

  it("returns 409 when both keys are equal", async () => {
    const keys = await keyring();
    const response = await rotateWithSecrets({ PLATFORM_KEY_PREVIOUS: env.PLATFORM_KEY });
    const error = await expectError(response, 409, "same_platform_key");
    expect(error.message).toBe(
      `PLATFORM_KEY_PREVIOUS contains the same key as PLATFORM_KEY (${keys.current.id}): set PLATFORM_KEY to a new key ` +
        "with `wrangler secret put PLATFORM_KEY`, then call this route again.",
    );
  });

  it("returns 500 for a malformed previous key", async () => {
    const error = await expectError(await rotateWithSecrets({ PLATFORM_KEY_PREVIOUS: "short" }), 500, "platform_key_invalid");
    expect(error.message).toMatch(/^PLATFORM_KEY_PREVIOUS is malformed: it must decode to 32 bytes/);
  });

  it("requires a workspace administrator", async () => {
    const project = await expectJson<{ id: string }>(await api("POST", "/projects", { name: `rotation-${Date.now()}` }), 201);
    const owner = await createProjectToken(project.id, "owner");
    const error = await expectError(await api("POST", "/platform/rotate-key", undefined, bearer(owner.token)), 403, "forbidden");
    expect(error.message).toBe("This action requires the workspace:admin permission, which the owner role does not have.");

    const document = await expectJson<{ paths: Record<string, Record<string, { "x-permission"?: string }>> }>(
      await api("GET", "/openapi.json", undefined, { anonymous: true }),
      200,
    );
    expect(document.paths["/api/platform/rotate-key"]?.post?.["x-permission"]).toBe("workspace:admin");
  });
});
