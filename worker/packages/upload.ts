/**
 * Parsing of the multipart package upload and of script replacements. Everything is checked
 * before anything is written: the routes receive either a complete, valid upload or one
 * ApiError naming the field or file at fault.
 */
import { ApiError } from "../api/errors";
import { sha256Hex } from "../crypto/encoding";
import {
  MAX_CONFIG_BYTES,
  MAX_DESCRIPTION_LENGTH,
  MAX_MANIFEST_BYTES,
  MAX_NAME_LENGTH,
  MAX_SCRIPT_BYTES,
  MAX_SCRIPT_FILE_NAME_LENGTH,
  MAX_SCRIPTS_PER_PACKAGE,
  MAX_SECRETS_FILE_BYTES,
} from "../limits";
import { parseSecretsFile } from "../secrets/policy";
import type { SecretEntry } from "../secrets/store";
import { decodeUtf8, parseJsonObjectFile, type JsonObject, type Result } from "./json-file";
import { DEFAULT_MANIFEST, MANIFEST_FILE, parseManifest, type Manifest } from "./manifest";
import { NO_CONTROL_CHARACTERS } from "./schemas";
import { checkScript, RESERVED_IDENTIFIER_PREFIX } from "./script-check";

export const SECRETS_FILE = "secrets.json";
export const CONFIG_FILE = "config.json";

/** Names that come in their own form fields and are never scripts. */
const SIDE_FILES: Record<string, string> = {
  [SECRETS_FILE]: "secrets",
  [CONFIG_FILE]: "config",
  [MANIFEST_FILE]: "manifest",
};

const PACKAGE_FIELDS = ["name", "description", "scripts", "secrets", "config", "manifest"];
const SCRIPT_EXTENSIONS = [".js", ".mjs"];
const SCRIPT_FILE_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;

/** One checked script, ready to store. */
export interface ScriptFile {
  fileName: string;
  source: string;
  /** Bytes of the UTF-8 source as stored. */
  size: number;
  sha256: string;
}

export interface PackageUpload {
  name: string;
  description: string;
  /** In execution order: manifest.json's execution_order, else upload order. */
  scripts: ScriptFile[];
  /** Parsed secrets.json entries; null when no secrets.json came. */
  secrets: SecretEntry[] | null;
  config: JsonObject;
  manifest: Manifest;
}

function invalid(code: string, message: string, details?: unknown): { ok: false; error: ApiError } {
  return { ok: false, error: new ApiError(400, code, message, details) };
}

/** Reads a multipart/form-data body, rejecting any other content type with a clear error. */
export async function readMultipart(request: { header(name: string): string | undefined; formData(): Promise<FormData> }): Promise<FormData> {
  const contentType = request.header("content-type") ?? "";
  if (!/^multipart\/form-data\s*;/i.test(contentType)) {
    throw new ApiError(
      415,
      "unsupported_media_type",
      `The body must be multipart/form-data (got ${JSON.stringify(contentType || "no content type")}): ` +
        "send the files as form fields, for example with curl -F scripts=@main.js.",
    );
  }

  try {
    return await request.formData();
  } catch {
    throw new ApiError(400, "invalid_multipart", "The multipart/form-data body could not be parsed: check its boundary and parts.");
  }
}

function rejectUnknownFields(form: FormData, allowed: readonly string[]): { ok: false; error: ApiError } | null {
  const unknown = [...new Set([...form.keys()].filter((key) => !allowed.includes(key)))];
  if (unknown.length === 0) return null;
  return invalid(
    "unknown_field",
    `Unknown form field ${unknown.map((key) => JSON.stringify(key)).join(", ")}: the fields are ${allowed.join(", ")}.`,
    { fields: unknown },
  );
}

function singleText(form: FormData, field: string, maxLength: number, required: boolean): Result<string | undefined> {
  const values = form.getAll(field);
  if (values.length === 0) {
    return required ? invalid("missing_field", `The form field ${field} is missing: add it.`, { field }) : { ok: true, value: undefined };
  }
  const value = values[0];
  if (values.length > 1 || typeof value !== "string") {
    return invalid("invalid_field", `The form field ${field} must be sent once, as text.`, { field });
  }

  const trimmed = value.trim();
  if (required && trimmed.length === 0) return invalid("invalid_field", `The form field ${field} is empty: give it a value.`, { field });
  if (trimmed.length > maxLength) {
    return invalid("invalid_field", `The form field ${field} is ${trimmed.length} characters long; the maximum is ${maxLength}.`, {
      field,
      limit: maxLength,
    });
  }
  return { ok: true, value: trimmed };
}

/** Reads an optional side file (secrets, config, manifest) sent once as a file or as text. */
async function singleFileBytes(form: FormData, field: string, fileName: string, maxBytes: number): Promise<Result<Uint8Array | null>> {
  const values = form.getAll(field);
  if (values.length === 0) return { ok: true, value: null };
  if (values.length > 1) return invalid("invalid_field", `The form field ${field} must be sent once: upload one ${fileName}.`, { field });

  const value = values[0]!;
  const size = typeof value === "string" ? new TextEncoder().encode(value).byteLength : value.size;
  if (size > maxBytes) {
    return {
      ok: false,
      error: new ApiError(413, "file_too_large", `${fileName} is ${size} bytes, over the limit of ${maxBytes} bytes: shrink it.`, {
        file: fileName,
        size,
        limit: maxBytes,
      }),
    };
  }

  const bytes = typeof value === "string" ? new TextEncoder().encode(value) : new Uint8Array(await value.arrayBuffer());
  return { ok: true, value: bytes };
}

function checkScriptFileName(fileName: string): Result<string> {
  const sideField = SIDE_FILES[fileName.toLowerCase()];
  if (sideField !== undefined) {
    return invalid(
      "misplaced_file",
      `${fileName} was sent as a script: upload it in the form field ${sideField}, not in scripts.`,
      { file: fileName, field: sideField },
    );
  }

  const lower = fileName.toLowerCase();
  if (lower.endsWith(".py")) {
    return invalid(
      "unsupported_script_type",
      `${fileName} is a Python file, but steps are JavaScript modules (ES modules with a default-exported ` +
        "function). Rewrite it as a .js or .mjs file.",
      { file: fileName },
    );
  }
  if (!SCRIPT_EXTENSIONS.some((extension) => lower.endsWith(extension))) {
    return invalid(
      "unsupported_script_type",
      `${fileName} is not a script: steps are JavaScript modules (ES modules with a default-exported function) ` +
        "in .js or .mjs files.",
      { file: fileName },
    );
  }

  // The sandbox's own modules are named __ferris…, so a script of that name could replace one.
  if (lower.startsWith(RESERVED_IDENTIFIER_PREFIX)) {
    return invalid(
      "invalid_file_name",
      `The script file name ${JSON.stringify(fileName)} is reserved, because names starting with ` +
        `${RESERVED_IDENTIFIER_PREFIX} belong to the sandbox: rename the file.`,
      { file: fileName },
    );
  }

  if (fileName.length > MAX_SCRIPT_FILE_NAME_LENGTH || !SCRIPT_FILE_NAME.test(fileName)) {
    return invalid(
      "invalid_file_name",
      `The script file name ${JSON.stringify(fileName)} is invalid: use at most ${MAX_SCRIPT_FILE_NAME_LENGTH} ` +
        "ASCII letters, digits, dots, hyphens and underscores, starting with a letter, digit or underscore.",
      { file: fileName },
    );
  }
  return { ok: true, value: fileName };
}

/** Checks and decodes the `scripts` files in upload order. */
export async function parseScripts(form: FormData): Promise<Result<ScriptFile[]>> {
  const values = form.getAll("scripts");
  if (values.length === 0) {
    return invalid("missing_field", "The form field scripts is missing: upload at least one .js or .mjs file.", { field: "scripts" });
  }
  if (values.length > MAX_SCRIPTS_PER_PACKAGE) {
    return {
      ok: false,
      error: new ApiError(413, "too_many_scripts", `${values.length} scripts were uploaded, over the limit of ${MAX_SCRIPTS_PER_PACKAGE} per package: merge or remove scripts.`, {
        count: values.length,
        limit: MAX_SCRIPTS_PER_PACKAGE,
      }),
    };
  }

  const scripts: ScriptFile[] = [];
  const seen = new Map<string, string>();
  for (const value of values) {
    if (typeof value === "string") {
      return invalid("invalid_field", "Each scripts value must be a file upload, not text: attach the .js file.", { field: "scripts" });
    }

    const name = checkScriptFileName(value.name);
    if (!name.ok) return name;
    const fileName = name.value;

    // Names that differ only in case would clash when the package is downloaded to a
    // case-insensitive file system, so they count as duplicates.
    const earlier = seen.get(fileName.toLowerCase());
    if (earlier !== undefined) {
      const message =
        earlier === fileName
          ? `The script ${JSON.stringify(fileName)} was uploaded twice: give each script a distinct file name.`
          : `The scripts ${JSON.stringify(earlier)} and ${JSON.stringify(fileName)} differ only in letter case, which clashes ` +
            "on case-insensitive file systems: give each script a distinct file name.";
      return invalid("duplicate_file_name", message, {
        file: fileName,
      });
    }
    seen.set(fileName.toLowerCase(), fileName);

    if (value.size > MAX_SCRIPT_BYTES) {
      return {
        ok: false,
        error: new ApiError(413, "file_too_large", `${fileName} is ${value.size} bytes, over the limit of ${MAX_SCRIPT_BYTES} bytes: shrink it.`, {
          file: fileName,
          size: value.size,
          limit: MAX_SCRIPT_BYTES,
        }),
      };
    }

    const text = decodeUtf8(new Uint8Array(await value.arrayBuffer()), fileName);
    if (!text.ok) return text;

    const check = checkScript(fileName, text.value);
    if (!check.ok) return check;

    const stored = new TextEncoder().encode(text.value);
    scripts.push({ fileName, source: text.value, size: stored.byteLength, sha256: await sha256Hex(stored) });
  }

  return { ok: true, value: scripts };
}

/** Checks a script replacement body: only the `scripts` field, with the upload's rules. */
export async function parseScriptsForm(form: FormData): Promise<Result<ScriptFile[]>> {
  const unknown = rejectUnknownFields(form, ["scripts"]);
  if (unknown !== null) return unknown;
  return parseScripts(form);
}

function orderScripts(scripts: ScriptFile[], order: string[] | undefined): ScriptFile[] {
  if (order === undefined) return scripts;
  const byName = new Map(scripts.map((script) => [script.fileName, script]));
  return order.map((fileName) => byName.get(fileName)!);
}

/** Checks every field of a package upload; secrets.json goes through the secrets upload policy. */
export async function parsePackageForm(form: FormData): Promise<Result<PackageUpload>> {
  const unknown = rejectUnknownFields(form, PACKAGE_FIELDS);
  if (unknown !== null) return unknown;

  const name = singleText(form, "name", MAX_NAME_LENGTH, true);
  if (!name.ok) return name;
  if (!NO_CONTROL_CHARACTERS.test(name.value!)) {
    return invalid("invalid_field", "The form field name contains a control character such as a line break: remove it.", { field: "name" });
  }
  const description = singleText(form, "description", MAX_DESCRIPTION_LENGTH, false);
  if (!description.ok) return description;

  const scripts = await parseScripts(form);
  if (!scripts.ok) return scripts;
  const scriptNames = scripts.value.map((script) => script.fileName);

  const manifestBytes = await singleFileBytes(form, "manifest", MANIFEST_FILE, MAX_MANIFEST_BYTES);
  if (!manifestBytes.ok) return manifestBytes;
  let manifest: Manifest = { ...DEFAULT_MANIFEST, allowedHosts: [] };
  if (manifestBytes.value !== null) {
    const parsed = parseManifest(manifestBytes.value, scriptNames);
    if (!parsed.ok) return parsed;
    manifest = parsed.value;
  }

  const configBytes = await singleFileBytes(form, "config", CONFIG_FILE, MAX_CONFIG_BYTES);
  if (!configBytes.ok) return configBytes;
  let config: JsonObject = {};
  if (configBytes.value !== null) {
    const parsed = parseJsonObjectFile(configBytes.value, CONFIG_FILE, MAX_CONFIG_BYTES);
    if (!parsed.ok) return parsed;
    config = parsed.value;
  }

  const secretsBytes = await singleFileBytes(form, "secrets", SECRETS_FILE, MAX_SECRETS_FILE_BYTES);
  if (!secretsBytes.ok) return secretsBytes;
  let secrets: SecretEntry[] | null = null;
  if (secretsBytes.value !== null) {
    const parsed = parseSecretsFile(secretsBytes.value, SECRETS_FILE);
    if (!parsed.ok) return { ok: false, error: parsed.error };
    secrets = parsed.entries;
  }

  return {
    ok: true,
    value: {
      name: name.value!,
      // The form field wins over manifest.json's description when both are given.
      description: description.value ?? manifest.description ?? "",
      scripts: orderScripts(scripts.value, manifest.executionOrder),
      secrets,
      config,
      manifest,
    },
  };
}
