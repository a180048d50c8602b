/**
 * The run event: what the edge API hands the executor when a package runs. Secrets travel
 * as the stored AES-GCM blobs with their wrapped data keys; only the executor decrypts
 * them, one at a time, when a script asks.
 */
import type { Scope, WrappedDataKey } from "../crypto/envelope";

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

export interface EncryptedSecret {
  name: string;
  ciphertext: Uint8Array;
}

export interface ScopeSecrets {
  /** The package id, the project id, or the workspace id for the platform scope. */
  ownerId: string;
  /** The owner's wrapped data key; null when the owner has no secrets yet. */
  dataKey: WrappedDataKey | null;
  secrets: EncryptedSecret[];
}

export interface StepSpec {
  position: number;
  fileName: string;
  source: string;
}

export interface RunEvent {
  workspaceId: string;
  executionId: string;
  packageId: string;
  packageName: string;
  projectId: string;
  /** Run-time parameters merged with the built-in ones (package_name, package_id, ...). */
  params: Record<string, JsonValue>;
  config: Record<string, JsonValue>;
  steps: StepSpec[];
  timeoutMs: number;
  allowedHosts: string[];
  allowScriptPlatformSecrets: boolean;
  /** Lookup order: package, then project, then platform. */
  scopes: Record<Scope, ScopeSecrets>;
  /** D1 statements the API issued to start this run, added to the execution's count. */
  apiStatements: number;
}
