/**
 * Envelope encryption with WebCrypto only.
 *
 * The platform key (a Worker secret) wraps one AES-GCM-256 data key per secret owner: a
 * package, a project, or a workspace for the platform scope. Data keys encrypt the values.
 * Rotating the platform key therefore means rewrapping data keys, never re-encrypting
 * values. Every key is imported non-extractable, except a new data key for the moment
 * between its generation and its wrapping.
 */
import { fromBase64, sha256Hex } from "./encoding";

export type Scope = "package" | "project" | "platform";

/** The first byte of every blob this module writes, so that the format can change later. */
export const BLOB_VERSION = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;

export interface PlatformKey {
  id: string;
  key: CryptoKey;
}

/** What a secret or data key belongs to: its AAD binds a ciphertext to exactly this. */
export interface Owner {
  workspaceId: string;
  scope: Scope;
  ownerId: string;
}

export interface WrappedDataKey {
  wrappedKey: Uint8Array;
  platformKeyId: string;
}

/** A misconfigured platform key. The message says which variable and how to fix it. */
export class PlatformKeyError extends Error {
  override name = "PlatformKeyError";
}

/** A blob that does not decrypt: tampered, moved to another row, truncated or under another key. */
export class IntegrityError extends Error {
  override name = "IntegrityError";
}

const PLATFORM_KEY_HELP =
  "set PLATFORM_KEY to 32 random bytes in base64, for example the output of " +
  "`openssl rand -base64 32`: in .dev.vars locally, or with `wrangler secret put PLATFORM_KEY`";

/**
 * Imports the platform key from the `PLATFORM_KEY` secret. It never falls back to a
 * default: a missing or malformed key raises `PlatformKeyError`.
 */
export async function importPlatformKey(encoded: string | undefined): Promise<PlatformKey> {
  if (encoded === undefined || encoded.trim() === "") {
    throw new PlatformKeyError(`PLATFORM_KEY is missing: ${PLATFORM_KEY_HELP}.`);
  }

  const raw = fromBase64(encoded.trim());
  if (raw === null || raw.length !== 32) {
    throw new PlatformKeyError(
      `PLATFORM_KEY is malformed: it must decode to 32 bytes; ${PLATFORM_KEY_HELP}.`,
    );
  }

  // The key id is a fingerprint, so that a wrapped data key names the key that wrapped it
  // without a separate variable to keep in step.
  const id = `pk_${(await sha256Hex(raw)).slice(0, 16)}`;
  const key = await crypto.subtle.importKey("raw", raw, "AES-GCM", false, ["wrapKey", "unwrapKey"]);
  raw.fill(0);
  return { id, key };
}

function ownerAad(purpose: string, owner: Owner, name = ""): Uint8Array {
  // NUL separates the fields: names, ids and scopes cannot contain it, so no two
  // different tuples give the same bytes.
  const fields = ["ferris-edge", purpose, `v${BLOB_VERSION}`, owner.workspaceId, owner.scope, owner.ownerId, name];
  return new TextEncoder().encode(fields.join("\0"));
}

function seal(iv: Uint8Array, body: ArrayBuffer): Uint8Array {
  const blob = new Uint8Array(1 + IV_BYTES + body.byteLength);
  blob[0] = BLOB_VERSION;
  blob.set(iv, 1);
  blob.set(new Uint8Array(body), 1 + IV_BYTES);
  return blob;
}

function open(blob: Uint8Array, what: string): { iv: Uint8Array; body: Uint8Array } {
  if (blob.length < 1 + IV_BYTES + TAG_BYTES) {
    throw new IntegrityError(`${what} is too short to be a valid blob.`);
  }
  if (blob[0] !== BLOB_VERSION) {
    throw new IntegrityError(`${what} has unknown format version ${blob[0]}.`);
  }
  return { iv: blob.subarray(1, 1 + IV_BYTES), body: blob.subarray(1 + IV_BYTES) };
}

/** Generates a data key for an owner and returns it wrapped by the platform key. */
export async function generateWrappedDataKey(platform: PlatformKey, owner: Owner): Promise<WrappedDataKey> {
  const dataKey = (await crypto.subtle.generateKey({ name: "AES-GCM", length: 256 }, true, [
    "encrypt",
    "decrypt",
  ])) as CryptoKey;
  const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
  const wrapped = await crypto.subtle.wrapKey("raw", dataKey, platform.key, {
    name: "AES-GCM",
    iv,
    additionalData: ownerAad("data-key", owner),
    tagLength: TAG_BYTES * 8,
  });
  return { wrappedKey: seal(iv, wrapped), platformKeyId: platform.id };
}

/** Unwraps a data key as a non-extractable key; raises `IntegrityError` if it does not unwrap. */
export async function unwrapDataKey(platform: PlatformKey, owner: Owner, wrapped: WrappedDataKey): Promise<CryptoKey> {
  const what = `The ${owner.scope} data key of ${owner.ownerId}`;
  if (wrapped.platformKeyId !== platform.id) {
    throw new IntegrityError(
      `${what} was wrapped by platform key ${wrapped.platformKeyId}, but the current key is ${platform.id}.`,
    );
  }

  const { iv, body } = open(wrapped.wrappedKey, what);
  try {
    return await crypto.subtle.unwrapKey(
      "raw",
      body,
      platform.key,
      { name: "AES-GCM", iv, additionalData: ownerAad("data-key", owner), tagLength: TAG_BYTES * 8 },
      "AES-GCM",
      false,
      ["encrypt", "decrypt"],
    );
  } catch {
    throw new IntegrityError(`${what} failed to unwrap: it was altered or belongs to another owner.`);
  }
}

/** Encrypts one secret value (its JSON text) under a fresh random 96-bit IV. */
export async function encryptValue(dataKey: CryptoKey, owner: Owner, name: string, json: string): Promise<Uint8Array> {
  const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
  const body = await crypto.subtle.encrypt(
    { name: "AES-GCM", iv, additionalData: ownerAad("secret", owner, name), tagLength: TAG_BYTES * 8 },
    dataKey,
    new TextEncoder().encode(json),
  );
  return seal(iv, body);
}

/** Decrypts one secret value to its JSON text; raises `IntegrityError` naming the secret. */
export async function decryptValue(dataKey: CryptoKey, owner: Owner, name: string, blob: Uint8Array): Promise<string> {
  const what = `The ${owner.scope} secret ${JSON.stringify(name)}`;
  const { iv, body } = open(blob, what);
  try {
    const plain = await crypto.subtle.decrypt(
      { name: "AES-GCM", iv, additionalData: ownerAad("secret", owner, name), tagLength: TAG_BYTES * 8 },
      dataKey,
      body,
    );
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(plain);
  } catch {
    throw new IntegrityError(`${what} failed to decrypt: it was altered or moved from another row.`);
  }
}
