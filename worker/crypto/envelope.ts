/**
 * Envelope encryption with WebCrypto only.
 *
 * The platform key (a Worker secret) wraps one AES-GCM-256 data key per secret owner: a
 * package, a project, or a workspace for the platform scope. Data keys encrypt the values.
 * Rotating the platform key therefore means rewrapping data keys, never re-encrypting
 * values. Every key is imported non-extractable, except a data key for the moment between
 * its generation (or, during a rotation, its unwrapping) and its wrapping.
 *
 * During a rotation the deployment has two platform keys: PLATFORM_KEY wraps every new
 * data key, and PLATFORM_KEY_PREVIOUS still unwraps the data keys it wrapped until they are
 * rewrapped.
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

/** The platform keys of a deployment: the current key and, during a rotation, the retired one. */
export interface PlatformKeyring {
  current: PlatformKey;
  /**
   * The key of PLATFORM_KEY_PREVIOUS, or null when it is not set. Its id equals the current
   * one when both secrets contain the same key, as between the two `wrangler secret put` steps.
   */
  previous: PlatformKey | null;
}

/** A keyring, or one key alone, which acts as a keyring without a previous key. */
export type PlatformKeys = PlatformKey | PlatformKeyring;

/** The Worker secret a platform key comes from, named in configuration errors. */
export type PlatformKeyVariable = "PLATFORM_KEY" | "PLATFORM_KEY_PREVIOUS";

/** The owner of a secret or data key. Its AAD binds a ciphertext to exactly this owner. */
export interface Owner {
  workspaceId: string;
  scope: Scope;
  ownerId: string;
}

export interface WrappedDataKey {
  wrappedKey: Uint8Array;
  platformKeyId: string;
}

/** A misconfigured platform key. The message names the variable and how to fix it. */
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

const PREVIOUS_KEY_HELP =
  "set PLATFORM_KEY_PREVIOUS to the retired platform key, the exact value PLATFORM_KEY had " +
  "(32 bytes in base64), or delete it with `wrangler secret delete PLATFORM_KEY_PREVIOUS`";

/**
 * Imports one platform key from a Worker secret, `PLATFORM_KEY` unless `variable` names
 * another. It never falls back to a default: a missing or malformed key raises
 * `PlatformKeyError` naming the variable.
 */
export async function importPlatformKey(
  encoded: string | undefined,
  variable: PlatformKeyVariable = "PLATFORM_KEY",
): Promise<PlatformKey> {
  const help = variable === "PLATFORM_KEY" ? PLATFORM_KEY_HELP : PREVIOUS_KEY_HELP;
  if (encoded === undefined || encoded.trim() === "") {
    throw new PlatformKeyError(`${variable} is missing: ${help}.`);
  }

  const raw = fromBase64(encoded.trim());
  if (raw === null || raw.length !== 32) {
    throw new PlatformKeyError(`${variable} is malformed: it must decode to 32 bytes; ${help}.`);
  }

  // The key id is a fingerprint, so that a wrapped data key names the key that wrapped it
  // without a separate variable to keep in step.
  const id = `pk_${(await sha256Hex(raw)).slice(0, 16)}`;
  const key = await crypto.subtle.importKey("raw", raw, "AES-GCM", false, ["wrapKey", "unwrapKey"]);
  raw.fill(0);
  return { id, key };
}

/**
 * Imports PLATFORM_KEY and, when it is set, PLATFORM_KEY_PREVIOUS. An unset or blank
 * PLATFORM_KEY_PREVIOUS means no rotation is in progress. A malformed one raises
 * `PlatformKeyError` like a malformed PLATFORM_KEY.
 */
export async function importPlatformKeyring(secrets: {
  PLATFORM_KEY?: string;
  PLATFORM_KEY_PREVIOUS?: string;
}): Promise<PlatformKeyring> {
  const current = await importPlatformKey(secrets.PLATFORM_KEY);
  const encodedPrevious = secrets.PLATFORM_KEY_PREVIOUS;
  if (encodedPrevious === undefined || encodedPrevious.trim() === "") return { current, previous: null };
  return { current, previous: await importPlatformKey(encodedPrevious, "PLATFORM_KEY_PREVIOUS") };
}

function keyringOf(keys: PlatformKeys): PlatformKeyring {
  return "current" in keys ? keys : { current: keys, previous: null };
}

/** Picks the key whose id the wrapped data key records; raises `IntegrityError` for any other id. */
function wrappingKey(keyring: PlatformKeyring, wrapped: WrappedDataKey, what: string): PlatformKey {
  const { current, previous } = keyring;
  if (wrapped.platformKeyId === current.id) return current;
  if (previous !== null && wrapped.platformKeyId === previous.id) return previous;

  const known =
    previous === null
      ? `the current key is ${current.id}`
      : `the current key is ${current.id} and the previous key is ${previous.id}`;
  throw new IntegrityError(`${what} was wrapped by platform key ${wrapped.platformKeyId}, but ${known}.`);
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

function dataKeyParams(iv: Uint8Array, owner: Owner): SubtleCryptoEncryptAlgorithm {
  return { name: "AES-GCM", iv, additionalData: ownerAad("data-key", owner), tagLength: TAG_BYTES * 8 };
}

/** Wraps an extractable data key under the platform key, with a fresh IV. */
async function wrapDataKey(platform: PlatformKey, owner: Owner, dataKey: CryptoKey): Promise<WrappedDataKey> {
  const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
  const wrapped = await crypto.subtle.wrapKey("raw", dataKey, platform.key, dataKeyParams(iv, owner));
  return { wrappedKey: seal(iv, wrapped), platformKeyId: platform.id };
}

/** Generates a data key for an owner and returns it wrapped by the current platform key. */
export async function generateWrappedDataKey(keys: PlatformKeys, owner: Owner): Promise<WrappedDataKey> {
  const dataKey = (await crypto.subtle.generateKey({ name: "AES-GCM", length: 256 }, true, [
    "encrypt",
    "decrypt",
  ])) as CryptoKey;
  return wrapDataKey(keyringOf(keys).current, owner, dataKey);
}

/**
 * Unwraps a data key as a non-extractable key, with the current or the previous platform key,
 * whichever id the wrapped key records. Raises `IntegrityError` for another id or a key that
 * does not unwrap.
 */
export async function unwrapDataKey(keys: PlatformKeys, owner: Owner, wrapped: WrappedDataKey): Promise<CryptoKey> {
  return unwrapWith(keyringOf(keys), owner, wrapped, false);
}

/**
 * Rewraps a data key under the current platform key, leaving the data key itself, and so every
 * value it encrypts, unchanged. A key already under the current key is returned as it is.
 * Raises `IntegrityError` like `unwrapDataKey`.
 */
export async function rewrapDataKey(keyring: PlatformKeyring, owner: Owner, wrapped: WrappedDataKey): Promise<WrappedDataKey> {
  if (wrapped.platformKeyId === keyring.current.id) return wrapped;

  // WebCrypto's wrapKey exports the key it wraps, so it accepts only an extractable key, and
  // the non-extractable keys that unwrapDataKey returns cannot be rewrapped. The data key is
  // therefore unwrapped as extractable here, wrapped at once and dropped: it never leaves
  // this function, and its raw bytes never reach JavaScript.
  const dataKey = await unwrapWith(keyring, owner, wrapped, true);
  return wrapDataKey(keyring.current, owner, dataKey);
}

async function unwrapWith(
  keyring: PlatformKeyring,
  owner: Owner,
  wrapped: WrappedDataKey,
  extractable: boolean,
): Promise<CryptoKey> {
  const what = `The ${owner.scope} data key of ${owner.ownerId}`;
  const platform = wrappingKey(keyring, wrapped, what);
  const { iv, body } = open(wrapped.wrappedKey, what);
  try {
    return await crypto.subtle.unwrapKey("raw", body, platform.key, dataKeyParams(iv, owner), "AES-GCM", extractable, [
      "encrypt",
      "decrypt",
    ]);
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
