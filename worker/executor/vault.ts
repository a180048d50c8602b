/**
 * The secrets of one running execution. Values stay encrypted in the run event until a script
 * requests one. Then the owner's data key is unwrapped (at most once per execution, and the
 * unwrapped key lives only as long as this object) and that one value is decrypted.
 */
import {
  decryptValue,
  IntegrityError,
  unwrapDataKey,
  type Owner,
  type PlatformKeys,
  type Scope,
} from "../crypto/envelope";
import type { AuditActor, AuditRecord } from "../access/audit";
import type { Db } from "../db";
import { checkSecretName, checkSecretValue } from "../secrets/policy";
import { writeSecrets } from "../secrets/store";
import type { JsonValue, RunEvent } from "./event";
import { Masker } from "./masking";

/** Lookup order of get_secret. */
export const LOOKUP_ORDER: readonly Scope[] = ["package", "project", "platform"];

export interface ProvenanceEntry {
  name: string;
  scope: Scope;
  action: "read" | "write";
}

/** An expected failure whose message the script receives as a thrown Error. */
export class ScriptFacingError extends Error {
  override name = "ScriptFacingError";
}

/**
 * A function that keeps a read's audit record durably before the value is handed out. The
 * executor stores the record in its own storage and moves it to D1 with the step's result.
 */
export type ReadRecorder = (record: AuditRecord) => Promise<void>;

export class RunSecrets {
  readonly masker = new Masker();
  /** The first integrity failure of the current step; it fails the step even if caught. */
  integrityFailure: string | null = null;

  private readonly dataKeys = new Map<Scope, Promise<CryptoKey>>();
  private readonly ciphertexts = new Map<Scope, Map<string, Uint8Array>>();
  /** Values the script set during this run, by scope and name: later lookups see them. */
  private readonly written = new Map<Scope, Map<string, string>>();
  private provenance: ProvenanceEntry[] = [];

  constructor(
    private readonly event: RunEvent,
    /** Imports the platform keys on first use, so a run that reads no secret needs none. */
    private readonly platformKey: () => Promise<PlatformKeys>,
    private readonly db: Db,
    private readonly recordRead: ReadRecorder,
  ) {
    for (const scope of LOOKUP_ORDER) {
      const byName = new Map<string, Uint8Array>();
      for (const secret of event.scopes[scope].secrets) byName.set(secret.name, secret.ciphertext);
      this.ciphertexts.set(scope, byName);
      this.written.set(scope, new Map());
    }
  }

  /** Starts a step: provenance is recorded per step. */
  beginStep(): void {
    this.provenance = [];
    this.integrityFailure = null;
  }

  stepProvenance(): ProvenanceEntry[] {
    return this.provenance;
  }

  /** Returns the JSON text of the first scope's value in lookup order, or null when absent. */
  async get(name: string): Promise<string | null> {
    // The rule of uploads applies here too, so a typo in a name fails loudly instead of
    // reading as a missing secret.
    const invalid = checkSecretName(name);
    if (invalid !== null) throw new ScriptFacingError(`get_secret: the name ${describe(name)} is invalid: ${invalid}.`);

    for (const scope of LOOKUP_ORDER) {
      const json = this.written.get(scope)!.get(name) ?? (await this.decrypt(scope, name));
      if (json === null) continue;

      // The value is masked before the script can print it, and the read is on record first:
      // a read that cannot be recorded does not happen.
      this.masker.addValue(JSON.parse(json) as JsonValue);
      await this.recordRead(this.auditRecord("secret.read", scope, name));
      this.record({ name, scope, action: "read" });
      return json;
    }
    return null;
  }

  /** Validates and stores a value that the script sets at project or platform scope. */
  async set(name: string, json: string, scope: unknown): Promise<void> {
    if (scope === "package") {
      throw new ScriptFacingError(
        "context.secrets.set cannot write package secrets: they come only from the package's secrets.json. Use scope \"project\" or \"platform\".",
      );
    }
    if (scope !== "project" && scope !== "platform") {
      throw new ScriptFacingError(`context.secrets.set: scope must be "project" or "platform", got ${describe(scope)}.`);
    }
    if (scope === "platform" && !this.event.allowScriptPlatformSecrets) {
      throw new ScriptFacingError(
        `context.secrets.set cannot write the platform secret ${JSON.stringify(name)}: this workspace does not allow scripts to write platform secrets. Use scope "project", or ask an administrator to allow it.`,
      );
    }

    let value: unknown;
    try {
      value = JSON.parse(json);
    } catch {
      throw new ScriptFacingError(`context.secrets.set: the value of ${JSON.stringify(name)} is not valid JSON.`);
    }
    const checked = checkSecretValue(name, value);
    if (!checked.ok) throw new ScriptFacingError(`context.secrets.set: ${checked.error.message}`);

    // The value is masked from here on, even if the write below fails.
    this.masker.addValue(value as JsonValue);
    const owner = this.owner(scope);
    try {
      await writeSecrets(this.db, await this.platformKey(), owner, [checked.entry], {
        replace: false,
        actor: this.event.executionId,
        audit: {
          actor: this.scriptActor(),
          projectId: this.event.projectId,
          packageId: this.event.packageId,
          executionId: this.event.executionId,
        },
      });
    } catch (error) {
      const message = error instanceof Error ? error.message : "the write failed";
      throw new ScriptFacingError(`context.secrets.set could not store ${JSON.stringify(name)}: ${message}`);
    }

    this.written.get(scope)!.set(name, checked.entry.json);
    this.record({ name, scope, action: "write" });
  }

  private async decrypt(scope: Scope, name: string): Promise<string | null> {
    const ciphertext = this.ciphertexts.get(scope)!.get(name);
    if (ciphertext === undefined) return null;

    const owner = this.owner(scope);
    try {
      const key = await this.dataKey(scope, owner);
      return await decryptValue(key, owner, name, ciphertext);
    } catch (error) {
      if (!(error instanceof IntegrityError)) throw error;
      const message = `The ${scope} secret ${JSON.stringify(name)} failed its integrity check: ${error.message} Upload the secret again.`;
      this.integrityFailure ??= message;
      throw new ScriptFacingError(message);
    }
  }

  private dataKey(scope: Scope, owner: Owner): Promise<CryptoKey> {
    let key = this.dataKeys.get(scope);
    if (key === undefined) {
      const wrapped = this.event.scopes[scope].dataKey;
      key =
        wrapped === null
          ? Promise.reject(new IntegrityError(`The ${scope} owner ${owner.ownerId} has secrets but no data key.`))
          : this.platformKey().then((platform) => unwrapDataKey(platform, owner, wrapped));
      this.dataKeys.set(scope, key);
    }
    return key;
  }

  /** Returns the audit actor of a script: its execution, named after its package. */
  private scriptActor(): AuditActor {
    return { type: "script", id: this.event.executionId, name: this.event.packageName };
  }

  private auditRecord(action: AuditRecord["action"], scope: Scope, name: string): AuditRecord {
    return {
      workspaceId: this.event.workspaceId,
      actor: this.scriptActor(),
      action,
      scope,
      ownerId: this.event.scopes[scope].ownerId,
      projectId: this.event.projectId,
      packageId: this.event.packageId,
      executionId: this.event.executionId,
      secretName: name,
    };
  }

  private owner(scope: Scope): Owner {
    return { workspaceId: this.event.workspaceId, scope, ownerId: this.event.scopes[scope].ownerId };
  }

  private record(entry: ProvenanceEntry): void {
    const seen = this.provenance.some(
      (item) => item.name === entry.name && item.scope === entry.scope && item.action === entry.action,
    );
    if (!seen) this.provenance.push(entry);
  }
}

/** Quotes a script's string for a message, cut to 100 characters so a huge one is not echoed. */
function describe(value: unknown): string {
  if (typeof value !== "string") return typeof value;
  return value.length > 100 ? `${JSON.stringify(value.slice(0, 100))}…` : JSON.stringify(value);
}
