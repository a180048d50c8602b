/**
 * API tokens. A token is 32 random bytes, shown once at creation; D1 keeps only its SHA-256.
 * The token's prefix `fe_` makes a leaked token easy to find in logs and code scanners.
 */
import { sha256Hex, toBase64 } from "../crypto/encoding";
import type { Db } from "../db";
import type { Principal, Role } from "./roles";

const TOKEN_PREFIX = "fe_";

export interface TokenRow {
  id: string;
  workspace_id: string;
  name: string;
  token_hash: string;
  role: Role;
  project_id: string | null;
  created_at: string;
  created_by: string;
  expires_at: string | null;
  last_used_at: string | null;
  revoked_at: string | null;
}

/** A token row as authentication reads it, with the kind of its workspace. */
export interface AuthTokenRow extends TokenRow {
  workspace_kind: "local" | "playground";
}

/** The public view of a token: everything but its hash. */
export type TokenView = Omit<TokenRow, "token_hash" | "workspace_id">;

export function generateToken(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return TOKEN_PREFIX + toBase64(bytes).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

export function hashToken(token: string): Promise<string> {
  return sha256Hex(token);
}

export function looksLikeToken(token: string): boolean {
  return token.startsWith(TOKEN_PREFIX);
}

export function toTokenView(row: TokenRow): TokenView {
  return {
    id: row.id,
    name: row.name,
    role: row.role,
    project_id: row.project_id,
    created_at: row.created_at,
    created_by: row.created_by,
    expires_at: row.expires_at,
    last_used_at: row.last_used_at,
    revoked_at: row.revoked_at,
  };
}

/** Returns why a stored token does not authenticate, or null when it does. */
export function tokenRejection(row: TokenRow, at: Date): "revoked" | "expired" | null {
  if (row.revoked_at !== null) return "revoked";
  if (row.expires_at !== null && Date.parse(row.expires_at) <= at.getTime()) return "expired";
  return null;
}

/** Finds a token by its hash. The hash is the lookup key, so no token text is compared. */
export async function findToken(db: Db, token: string): Promise<AuthTokenRow | null> {
  return db.first<AuthTokenRow>(
    "SELECT api_tokens.*, workspaces.kind AS workspace_kind FROM api_tokens " +
      "JOIN workspaces ON workspaces.id = api_tokens.workspace_id WHERE api_tokens.token_hash = ?",
    await hashToken(token),
  );
}

export function principalOf(row: AuthTokenRow): Principal {
  return {
    playground: row.workspace_kind === "playground",
    kind: "token",
    id: row.id,
    name: row.name,
    workspaceId: row.workspace_id,
    role: row.role,
    projectId: row.project_id,
  };
}

/** Records a token's use at most once a minute, so that busy tokens do not write on every call. */
export function shouldTouch(row: TokenRow, at: Date): boolean {
  return row.last_used_at === null || at.getTime() - Date.parse(row.last_used_at) > 60_000;
}
