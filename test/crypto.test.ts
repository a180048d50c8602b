import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import {
  decryptValue,
  encryptValue,
  generateWrappedDataKey,
  importPlatformKey,
  IntegrityError,
  PlatformKeyError,
  unwrapDataKey,
  type Owner,
} from "../worker/crypto/envelope";
import { writeSecrets } from "../worker/secrets/store";
import {
  decryptAll,
  insertPackage,
  insertProject,
  ownerDataKey,
  readDataKey,
  readSecretRows,
  testDb,
  testPlatformKey,
} from "./helpers/secrets";

async function expectIntegrityError(promise: Promise<unknown>, message: string): Promise<void> {
  const error = await promise.then(
    () => null,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(IntegrityError);
  expect((error as Error).message).toBe(message);
}

async function ownerWithSecrets(entries: Record<string, unknown>): Promise<Owner> {
  const owner = await insertProject();
  const list = Object.entries(entries).map(([name, value]) => ({ name, json: JSON.stringify(value) }));
  await writeSecrets(testDb(), await testPlatformKey(), owner, list, { replace: false, actor: "admin" });
  return owner;
}

describe("stored secret blobs", () => {
  it("round-trip through D1", async () => {
    const owner = await ownerWithSecrets({ API_KEY: "sk-round-trip", LIMITS: { max: 3 } });
    expect(await decryptAll(owner)).toEqual({ API_KEY: '"sk-round-trip"', LIMITS: '{"max":3}' });
  });

  it.each([
    ["the last tag byte", (blob: Uint8Array) => blob.length - 1],
    ["a ciphertext byte", () => 13],
    ["an IV byte", () => 1],
  ])("fail closed when %s is altered", async (_label, position) => {
    const owner = await ownerWithSecrets({ API_KEY: "sk-tamper" });
    const [row] = await readSecretRows(owner);
    const tampered = new Uint8Array(row!.ciphertext);
    tampered[position(tampered)]! ^= 0x01;

    await expectIntegrityError(
      decryptValue(await ownerDataKey(owner), owner, "API_KEY", tampered),
      'The project secret "API_KEY" failed to decrypt: it was altered or moved from another row.',
    );
  });

  it("fail closed when moved to another name", async () => {
    const owner = await ownerWithSecrets({ API_KEY: "sk-first", OTHER_KEY: "sk-second" });
    const rows = await readSecretRows(owner);
    const apiKeyBlob = rows.find((row) => row.name === "API_KEY")!.ciphertext;

    // Copy API_KEY's blob over OTHER_KEY's row in D1, as an attacker with write access could.
    await env.DB.prepare("UPDATE secrets SET ciphertext = ? WHERE owner_id = ? AND name = 'OTHER_KEY'")
      .bind(apiKeyBlob, owner.ownerId)
      .run();
    const moved = (await readSecretRows(owner)).find((row) => row.name === "OTHER_KEY")!.ciphertext;

    await expectIntegrityError(
      decryptValue(await ownerDataKey(owner), owner, "OTHER_KEY", moved),
      'The project secret "OTHER_KEY" failed to decrypt: it was altered or moved from another row.',
    );
  });

  it("fail closed when moved to another owner", async () => {
    const source = await ownerWithSecrets({ API_KEY: "sk-source" });
    const target = await ownerWithSecrets({ API_KEY: "sk-target" });
    const [sourceRow] = await readSecretRows(source);

    await expectIntegrityError(
      decryptValue(await ownerDataKey(target), target, "API_KEY", sourceRow!.ciphertext),
      'The project secret "API_KEY" failed to decrypt: it was altered or moved from another row.',
    );
  });

  it("fail closed under another scope with the same owner id", async () => {
    const owner = await ownerWithSecrets({ API_KEY: "sk-scope" });
    const [row] = await readSecretRows(owner);
    const asPackage: Owner = { ...owner, scope: "package" };

    await expectIntegrityError(
      decryptValue(await ownerDataKey(owner), asPackage, "API_KEY", row!.ciphertext),
      'The package secret "API_KEY" failed to decrypt: it was altered or moved from another row.',
    );
  });

  it("reject a short blob", async () => {
    const owner = await ownerWithSecrets({ API_KEY: "sk-short" });
    const [row] = await readSecretRows(owner);

    await expectIntegrityError(
      decryptValue(await ownerDataKey(owner), owner, "API_KEY", row!.ciphertext.subarray(0, 28)),
      'The project secret "API_KEY" is too short to be a valid blob.',
    );
  });

  it("reject an unknown format version", async () => {
    const owner = await ownerWithSecrets({ API_KEY: "sk-version" });
    const [row] = await readSecretRows(owner);
    const blob = new Uint8Array(row!.ciphertext);
    blob[0] = 7;

    await expectIntegrityError(
      decryptValue(await ownerDataKey(owner), owner, "API_KEY", blob),
      'The project secret "API_KEY" has unknown format version 7.',
    );
  });
});

describe("encryptValue", () => {
  it("uses 1,000 distinct IVs for 1,000 encryptions", async () => {
    const owner = await insertProject();
    const platform = await testPlatformKey();
    const dataKey = await unwrapDataKey(platform, owner, await generateWrappedDataKey(platform, owner));

    const ivs = new Set<string>();
    for (let i = 0; i < 1000; i++) {
      const blob = await encryptValue(dataKey, owner, "SAME", '"same value"');
      ivs.add(Array.from(blob.subarray(1, 13)).join(","));
    }
    expect(ivs.size).toBe(1000);
  });

  it("writes the version byte, the IV and a tagged ciphertext", async () => {
    const owner = await insertProject();
    const platform = await testPlatformKey();
    const dataKey = await unwrapDataKey(platform, owner, await generateWrappedDataKey(platform, owner));
    const json = '"abc"';

    const blob = await encryptValue(dataKey, owner, "A", json);
    expect(blob[0]).toBe(1);
    expect(blob.length).toBe(1 + 12 + json.length + 16);
  });
});

describe("data keys", () => {
  it("are created once per owner on the first write", async () => {
    const owner = await ownerWithSecrets({ A: 1 });
    const first = await readDataKey(owner);
    await writeSecrets(testDb(), await testPlatformKey(), owner, [{ name: "B", json: "2" }], {
      replace: false,
      actor: "admin",
    });

    expect(await readDataKey(owner)).toEqual(first);
    expect(await decryptAll(owner)).toEqual({ A: "1", B: "2" });
  });

  it("reject a key wrapped by another platform key id", async () => {
    const owner = await ownerWithSecrets({ A: 1 });
    const wrapped = (await readDataKey(owner))!;
    const platform = await testPlatformKey();

    await expectIntegrityError(
      unwrapDataKey(platform, owner, { ...wrapped, platformKeyId: "pk_0000000000000000" }),
      `The project data key of ${owner.ownerId} was wrapped by platform key pk_0000000000000000, ` +
        `but the current key is ${platform.id}.`,
    );
  });

  it("reject a key unwrapped under another platform key", async () => {
    const owner = await ownerWithSecrets({ A: 1 });
    const wrapped = (await readDataKey(owner))!;
    const otherPlatform = await importPlatformKey(btoa("another-platform-key-32-bytes-!!"));

    // Same id as the wrapped key claims, so that the failure comes from the AES-GCM tag.
    await expectIntegrityError(
      unwrapDataKey(otherPlatform, owner, { ...wrapped, platformKeyId: otherPlatform.id }),
      `The project data key of ${owner.ownerId} failed to unwrap: it was altered or belongs to another owner.`,
    );
  });

  it("reject a key moved to another owner", async () => {
    const source = await ownerWithSecrets({ A: 1 });
    const target = await insertPackage();
    const wrapped = (await readDataKey(source))!;

    await expectIntegrityError(
      unwrapDataKey(await testPlatformKey(), target, wrapped),
      `The package data key of ${target.ownerId} failed to unwrap: it was altered or belongs to another owner.`,
    );
  });
});

describe("importPlatformKey", () => {
  const help =
    "set PLATFORM_KEY to 32 random bytes in base64, for example the output of `openssl rand -base64 32`: " +
    "in .dev.vars locally, or with `wrangler secret put PLATFORM_KEY`.";

  it.each([
    ["undefined", undefined],
    ["empty", ""],
    ["blank", "   "],
  ])("reports a missing key when %s", async (_label, value) => {
    const error = await importPlatformKey(value).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(PlatformKeyError);
    expect((error as Error).message).toBe(`PLATFORM_KEY is missing: ${help}`);
  });

  it.each([
    ["not base64", "not base64 at all!"],
    ["16 bytes", btoa("sixteen-bytes!!!")],
    ["33 bytes", btoa("thirty-three-bytes-of-key-material")],
    ["unpadded", "dGVzdC1wbGF0Zm9ybS1rZXktMzItYnl0ZXMtbG9uZyE"],
  ])("reports a malformed key when %s", async (_label, value) => {
    const error = await importPlatformKey(value).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(PlatformKeyError);
    expect((error as Error).message).toBe(`PLATFORM_KEY is malformed: it must decode to 32 bytes; ${help}`);
  });

  it("derives a stable key id from the key bytes", async () => {
    const first = await importPlatformKey(env.PLATFORM_KEY);
    const second = await importPlatformKey(` ${env.PLATFORM_KEY}\n`);
    expect(first.id).toMatch(/^pk_[0-9a-f]{16}$/);
    expect(second.id).toBe(first.id);
  });

  it("imports a non-extractable key", async () => {
    const platform = await importPlatformKey(env.PLATFORM_KEY);
    expect(platform.key.extractable).toBe(false);
  });
});
