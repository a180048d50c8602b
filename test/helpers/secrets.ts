/**
 * Test helpers for secret storage: owner rows inserted straight into D1, and reads of the
 * stored rows so that tests can check ciphertext and decrypt it the way the executor does.
 */
import { env } from "cloudflare:test";
import { Db } from "../../worker/db";
import {
  decryptValue,
  importPlatformKey,
  unwrapDataKey,
  type Owner,
  type PlatformKey,
} from "../../worker/crypto/envelope";
import { newId, now } from "../../worker/ids";

/** The workspace that the test admin token acts in. */
export const WORKSPACE_ID = "ws_local";

export function testDb(): Db {
  return new Db(env.DB);
}

export function testPlatformKey(): Promise<PlatformKey> {
  return importPlatformKey(env.PLATFORM_KEY);
}

/** Inserts a project row in `workspaceId` and returns its owner for project secrets. */
export async function insertProject(workspaceId = WORKSPACE_ID): Promise<Owner> {
  const id = newId("prj");
  const time = now();
  await env.DB.prepare(
    "INSERT INTO projects (id, workspace_id, name, created_at, updated_at) VALUES (?, ?, ?, ?, ?)",
  )
    .bind(id, workspaceId, `project-${id}`, time, time)
    .run();
  return { workspaceId, scope: "project", ownerId: id };
}

/** Inserts a package row under a new project and returns its owner for package secrets. */
export async function insertPackage(workspaceId = WORKSPACE_ID): Promise<Owner> {
  const project = await insertProject(workspaceId);
  const id = newId("pkg");
  const time = now();
  await env.DB.prepare(
    "INSERT INTO packages (id, workspace_id, project_id, name, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
  )
    .bind(id, workspaceId, project.ownerId, `package-${id}`, time, time)
    .run();
  return { workspaceId, scope: "package", ownerId: id };
}

/** Inserts a second workspace, so that tests can check isolation between workspaces. */
export async function insertWorkspace(): Promise<string> {
  const id = newId("ws");
  const time = now();
  await env.DB.prepare(
    "INSERT INTO workspaces (id, name, kind, created_at, last_used_at) VALUES (?, ?, 'playground', ?, ?)",
  )
    .bind(id, `workspace ${id}`, time, time)
    .run();
  return id;
}

export interface StoredSecret {
  name: string;
  name_folded: string;
  ciphertext: Uint8Array;
  created_at: string;
  updated_at: string;
  updated_by: string;
}

/** Reads the owner's secret rows straight from D1, sorted by name. */
export async function readSecretRows(owner: Owner): Promise<StoredSecret[]> {
  const { results } = await env.DB.prepare(
    "SELECT name, name_folded, ciphertext, created_at, updated_at, updated_by FROM secrets " +
      "WHERE workspace_id = ? AND scope = ? AND owner_id = ? ORDER BY name",
  )
    .bind(owner.workspaceId, owner.scope, owner.ownerId)
    .all<Omit<StoredSecret, "ciphertext"> & { ciphertext: ArrayBuffer | number[] }>();
  return results.map((row) => ({ ...row, ciphertext: new Uint8Array(row.ciphertext) }));
}

/** Reads the owner's data key row, or null when the owner has none. */
export async function readDataKey(owner: Owner) {
  const row = await env.DB.prepare(
    "SELECT wrapped_key, platform_key_id FROM data_keys WHERE workspace_id = ? AND scope = ? AND owner_id = ?",
  )
    .bind(owner.workspaceId, owner.scope, owner.ownerId)
    .first<{ wrapped_key: ArrayBuffer | number[]; platform_key_id: string }>();
  if (row === null) return null;
  return { wrappedKey: new Uint8Array(row.wrapped_key), platformKeyId: row.platform_key_id };
}

/** Unwraps the owner's stored data key with the test platform key. */
export async function ownerDataKey(owner: Owner): Promise<CryptoKey> {
  const wrapped = await readDataKey(owner);
  if (wrapped === null) throw new Error(`owner ${owner.ownerId} has no data key`);
  return unwrapDataKey(await testPlatformKey(), owner, wrapped);
}

/** Decrypts every stored secret of the owner and returns name → JSON text. */
export async function decryptAll(owner: Owner): Promise<Record<string, string>> {
  const dataKey = await ownerDataKey(owner);
  const decrypted: Record<string, string> = {};
  for (const row of await readSecretRows(owner)) {
    decrypted[row.name] = await decryptValue(dataKey, owner, row.name, row.ciphertext);
  }
  return decrypted;
}

/** Returns whether `needle` occurs as a byte sequence inside `haystack`. */
export function containsBytes(haystack: Uint8Array, needle: Uint8Array): boolean {
  outer: for (let start = 0; start + needle.length <= haystack.length; start++) {
    for (let i = 0; i < needle.length; i++) {
      if (haystack[start + i] !== needle[i]) continue outer;
    }
    return true;
  }
  return false;
}
