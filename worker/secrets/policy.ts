/**
 * The one policy for secret names and values, applied to every JSON upload (a package's
 * secrets.json, project and platform uploads) and to values that scripts set. Expected
 * failures are returned as values that carry the ApiError to send, so nothing here throws
 * for bad input.
 */
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { ApiError } from "../api/errors";
import {
  MAX_JSON_DEPTH,
  MAX_SECRET_NAME_LENGTH,
  MAX_SECRET_VALUE_BYTES,
  MAX_SECRETS_FILE_BYTES,
  MAX_SECRETS_PER_FILE,
} from "../limits";
import type { SecretEntry } from "./store";
import { formatPath, parseStrictJson, type NumberIssue, type PathSegment, type StrictJsonFailure } from "./strict-json";

export type PolicyCode =
  | "invalid_encoding"
  | "invalid_json"
  | "too_deep"
  | "not_an_object"
  | "duplicate_key"
  | "case_conflict"
  | "invalid_name"
  | "null_value"
  | "invalid_value"
  | "unsafe_integer"
  | "infinite_number"
  | "file_too_large"
  | "too_many_keys"
  | "value_too_large";

export type UploadResult = { ok: true; entries: SecretEntry[] } | { ok: false; error: ApiError };
export type ValueResult = { ok: true; entry: SecretEntry } | { ok: false; error: ApiError };

/** One offending key of an upload, as listed in an error's details. */
export interface KeyProblem {
  key: string;
  reason: string;
}

const NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_.-]*$/;
/** At most this many keys are named in a message; the details list all of them. */
const MAX_KEYS_IN_MESSAGE = 10;

/** Maps each failure to its HTTP status. A new code does not compile until it has one. */
export function policyStatus(code: PolicyCode): ContentfulStatusCode {
  switch (code) {
    case "file_too_large":
    case "too_many_keys":
    case "value_too_large":
      return 413;
    case "invalid_encoding":
    case "invalid_json":
    case "too_deep":
    case "not_an_object":
    case "duplicate_key":
    case "case_conflict":
    case "invalid_name":
    case "null_value":
    case "invalid_value":
    case "unsafe_integer":
    case "infinite_number":
      return 400;
  }
}

/**
 * Checks a secret name, the one rule for uploads, lookups and writes. Returns null for a
 * valid name, otherwise the reason it is invalid.
 */
export function checkSecretName(name: string): string | null {
  if (name === "") return "is empty";
  if (name.length > MAX_SECRET_NAME_LENGTH) {
    return `is ${name.length} characters long, more than the limit of ${MAX_SECRET_NAME_LENGTH}`;
  }
  if (!/^[A-Za-z_]/.test(name)) return "must start with a letter or an underscore";
  if (!NAME_PATTERN.test(name)) return "may contain only letters, digits, underscores, dots and hyphens";
  return null;
}

/**
 * Parses and checks an uploaded secrets file, given as its raw bytes. `fileLabel` starts
 * the messages, for example "secrets.json" or "The request body".
 */
export function parseSecretsFile(bytes: Uint8Array | ArrayBuffer, fileLabel = "The secrets file"): UploadResult {
  const data = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  if (data.byteLength > MAX_SECRETS_FILE_BYTES) {
    return failure(
      "file_too_large",
      `${fileLabel} is ${data.byteLength} bytes, more than the limit of ${MAX_SECRETS_FILE_BYTES}: split it into smaller uploads.`,
      { limit: MAX_SECRETS_FILE_BYTES, size: data.byteLength },
    );
  }

  const decoded = decodeUtf8(data, fileLabel);
  if (!decoded.ok) return decoded;
  const text = decoded.text;
  if (text.trim() === "") {
    return failure("invalid_json", `${fileLabel} is empty: send a JSON object such as {"API_KEY": "value"}.`);
  }

  const parsed = parseStrictJson(text, MAX_JSON_DEPTH);
  if (!parsed.ok) return syntaxFailure(parsed.failure, fileLabel);
  if (parsed.members === null) {
    return failure(
      "not_an_object",
      `${fileLabel} must be a JSON object of secret names and values, but it is ${describeType(parsed.value)}.`,
    );
  }

  const members = parsed.members;
  if (members.length > MAX_SECRETS_PER_FILE) {
    return failure(
      "too_many_keys",
      `${fileLabel} has ${members.length} keys, more than the limit of ${MAX_SECRETS_PER_FILE}: split it into smaller uploads.`,
      { limit: MAX_SECRETS_PER_FILE, count: members.length },
    );
  }

  const nameProblems = members.flatMap(({ key }) => {
    const reason = checkSecretName(key);
    return reason === null ? [] : [{ key, reason }];
  });
  if (nameProblems.length > 0) return invalidNames(nameProblems);

  const conflict = findCaseConflict(members.map((member) => member.key));
  if (conflict !== null) return caseConflict(conflict[0], conflict[1]);

  const nullKeys = members.filter((member) => member.value === null).map((member) => member.key);
  if (nullKeys.length > 0) return nullValues(nullKeys);

  const numberFailure = numberIssuesFailure(parsed.numberIssues);
  if (numberFailure !== null) return numberFailure;

  const malformedKeys = members.filter((member) => hasLoneSurrogate(member.value)).map((member) => member.key);
  if (malformedKeys.length > 0) return loneSurrogates(malformedKeys);

  const entries: SecretEntry[] = [];
  const oversized: KeyProblem[] = [];
  for (const { key, value } of members) {
    const json = JSON.stringify(value);
    const size = utf8Length(json);
    if (size > MAX_SECRET_VALUE_BYTES) oversized.push({ key, reason: `${size} bytes` });
    entries.push({ name: key, json });
  }
  if (oversized.length > 0) return valuesTooLarge(oversized);

  return { ok: true, entries };
}

/**
 * Checks one value that a script sets, with the rules of an upload: a valid name, a JSON
 * value other than null, no unsafe integer or infinite number, and a size within the limit.
 */
export function checkSecretValue(name: string, value: unknown): ValueResult {
  const reason = checkSecretName(name);
  if (reason !== null) return invalidNames([{ key: name, reason }]);
  if (value === null) return nullValues([name]);
  if (value === undefined) {
    return failure("invalid_value", `Secret ${JSON.stringify(name)} has no value (undefined): give it a JSON value.`, { key: name });
  }

  const problem = findValueProblem(value, [name], 2);
  if (problem !== null) {
    return failure(problem.code, `Secret ${JSON.stringify(name)} ${problem.message}.`, {
      key: name,
      path: formatPath(problem.path),
    });
  }

  const json = JSON.stringify(value);
  const size = utf8Length(json);
  if (size > MAX_SECRET_VALUE_BYTES) return valuesTooLarge([{ key: name, reason: `${size} bytes` }]);
  return { ok: true, entry: { name, json } };
}

/** Returns whether a parsed JSON value contains a string with an unpaired surrogate (a `\ud800` escape). */
function hasLoneSurrogate(value: unknown): boolean {
  if (typeof value === "string") return !value.isWellFormed();
  if (Array.isArray(value)) return value.some(hasLoneSurrogate);
  if (typeof value === "object" && value !== null) {
    return Object.entries(value).some(([key, item]) => !key.isWellFormed() || hasLoneSurrogate(item));
  }
  return false;
}

function loneSurrogates(keys: string[]): { ok: false; error: ApiError } {
  return failure(
    "invalid_value",
    `Values of ${keys.map((key) => JSON.stringify(key)).join(", ")} contain a lone UTF-16 surrogate escape such as \\ud800, ` +
      "which is not text: remove it or pair it with its other half.",
    keys.map((key) => ({ key })),
  );
}

function failure(code: PolicyCode, message: string, details?: unknown): { ok: false; error: ApiError } {
  return { ok: false, error: new ApiError(policyStatus(code), code, message, details) };
}

function decodeUtf8(data: Uint8Array, fileLabel: string): { ok: true; text: string } | { ok: false; error: ApiError } {
  const foreignBom = detectForeignBom(data);
  if (foreignBom !== null) {
    return failure(
      "invalid_encoding",
      `${fileLabel} must be UTF-8, but it starts with a ${foreignBom} byte order mark: save it as UTF-8.`,
      { encoding: foreignBom },
    );
  }

  try {
    // The decoder drops a leading UTF-8 BOM (ignoreBOM: false) and rejects invalid bytes.
    return { ok: true, text: new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(data) };
  } catch {
    return failure("invalid_encoding", `${fileLabel} must be UTF-8, but it contains bytes that are not valid UTF-8: save it as UTF-8.`);
  }
}

/** Names the UTF-16 or UTF-32 byte order mark at the start of `data`, if any. */
function detectForeignBom(data: Uint8Array): string | null {
  const [b0, b1, b2, b3] = data;
  // UTF-32 LE starts with the UTF-16 LE mark, so it is tested first.
  if (b0 === 0xff && b1 === 0xfe && b2 === 0x00 && b3 === 0x00) return "UTF-32 LE";
  if (b0 === 0x00 && b1 === 0x00 && b2 === 0xfe && b3 === 0xff) return "UTF-32 BE";
  if (b0 === 0xff && b1 === 0xfe) return "UTF-16 LE";
  if (b0 === 0xfe && b1 === 0xff) return "UTF-16 BE";
  return null;
}

function syntaxFailure(parseFailure: StrictJsonFailure, fileLabel: string): { ok: false; error: ApiError } {
  const position = { line: parseFailure.line, column: parseFailure.column };
  const at = `line ${parseFailure.line}, column ${parseFailure.column}`;
  switch (parseFailure.kind) {
    case "syntax":
      return failure("invalid_json", `${fileLabel} is not valid JSON at ${at}: ${parseFailure.detail}.`, position);
    case "duplicate_key":
      return failure(
        "duplicate_key",
        `${fileLabel} has the key ${JSON.stringify(parseFailure.key)} twice in one object ` +
          `(${formatPath(parseFailure.path)}, second at ${at}): keep one of them.`,
        { key: parseFailure.key, path: formatPath(parseFailure.path), ...position },
      );
    case "too_deep":
      return failure(
        "too_deep",
        `${fileLabel} nests arrays and objects more than ${MAX_JSON_DEPTH} levels deep at ${at}: flatten the value.`,
        { limit: MAX_JSON_DEPTH, ...position },
      );
  }
}

/** Returns the first two names, in order, that differ only in letter case, or null. */
function findCaseConflict(names: string[]): [string, string] | null {
  const byFolded = new Map<string, string>();
  for (const name of names) {
    const folded = name.toLowerCase();
    const previous = byFolded.get(folded);
    if (previous !== undefined) return [previous, name];
    byFolded.set(folded, name);
  }
  return null;
}

function caseConflict(first: string, second: string): { ok: false; error: ApiError } {
  return failure(
    "case_conflict",
    `Secrets ${JSON.stringify(first)} and ${JSON.stringify(second)} differ only in letter case: ` +
      "lookups are case-sensitive, so such names are easy to confuse and uploads reject them: keep one of them.",
    { keys: [first, second] },
  );
}

function invalidNames(problems: KeyProblem[]): { ok: false; error: ApiError } {
  const listed = listKeys(problems.map((problem) => `${JSON.stringify(problem.key)} ${problem.reason}`), problems.length);
  return failure(
    "invalid_name",
    `Invalid secret ${problems.length === 1 ? "name" : "names"}: ${listed}. ` +
      `A name starts with a letter or an underscore, continues with letters, digits, "_", "." or "-", ` +
      `and has at most ${MAX_SECRET_NAME_LENGTH} characters.`,
    problems,
  );
}

function nullValues(keys: string[]): { ok: false; error: ApiError } {
  const listed = listKeys(keys.map((key) => JSON.stringify(key)), keys.length);
  return failure(
    "null_value",
    `${keys.length === 1 ? "Secret" : "Secrets"} ${listed} ${keys.length === 1 ? "is" : "are"} null: ` +
      "give each a value (an empty string is allowed) or remove the key.",
    keys.map((key) => ({ key, reason: "is null" })),
  );
}

function valuesTooLarge(problems: KeyProblem[]): { ok: false; error: ApiError } {
  const listed = listKeys(problems.map((problem) => `${JSON.stringify(problem.key)} (${problem.reason})`), problems.length);
  return failure(
    "value_too_large",
    `The value of ${listed} is larger than the limit of ${MAX_SECRET_VALUE_BYTES} bytes of JSON text: ` +
      "store large data elsewhere and keep only a key or URL as the secret.",
    problems,
  );
}

function numberIssuesFailure(issues: NumberIssue[]): { ok: false; error: ApiError } | null {
  const first = issues[0];
  if (first === undefined) return null;

  const sameKind = issues.filter((issue) => issue.kind === first.kind);
  const details = sameKind.map((issue) => ({
    key: String(issue.path[0]),
    path: formatPath(issue.path),
    literal: issue.literal,
  }));
  const listed = listKeys(sameKind.map((issue) => `${issue.literal} at ${formatPath(issue.path)}`), sameKind.length);
  if (first.kind === "unsafe_integer") {
    return failure(
      "unsafe_integer",
      `Numbers beyond 2^53 lose precision as JSON numbers: ${listed}. Write them as strings.`,
      details,
    );
  }
  return failure("infinite_number", `Numbers too large to represent: ${listed}. Write them as strings.`, details);
}

interface ValueProblem {
  code: PolicyCode;
  message: string;
  path: PathSegment[];
}

/**
 * Walks a value that did not come from a file (a script's set) and returns the first part
 * that is not a storable JSON value. `depth` counts levels as in a file, whose root object
 * is level 1, so that a value a script stores could also be uploaded.
 */
function findValueProblem(value: unknown, path: PathSegment[], depth: number): ValueProblem | null {
  switch (typeof value) {
    case "string":
      if (!value.isWellFormed()) {
        return { code: "invalid_value", message: `contains a lone UTF-16 surrogate at ${formatPath(path)}, which UTF-8 cannot encode`, path };
      }
      return null;
    case "boolean":
      return null;
    case "number":
      if (!Number.isFinite(value)) {
        return { code: "infinite_number", message: `contains ${value} at ${formatPath(path)}, which JSON cannot represent`, path };
      }
      if (Number.isInteger(value) && !Number.isSafeInteger(value)) {
        return {
          code: "unsafe_integer",
          message: `contains the integer ${value} at ${formatPath(path)}, beyond 2^53 where integers lose precision: store it as a string`,
          path,
        };
      }
      return null;
    case "object":
      break;
    default:
      return {
        code: "invalid_value",
        message: `contains ${value === undefined ? "undefined" : `a ${typeof value}`} at ${formatPath(path)}, which is not a JSON value`,
        path,
      };
  }

  if (value === null) return null;
  if (depth > MAX_JSON_DEPTH) {
    return { code: "too_deep", message: `nests arrays and objects more than ${MAX_JSON_DEPTH} levels deep`, path };
  }

  if (Array.isArray(value)) {
    for (let index = 0; index < value.length; index++) {
      if (!(index in value)) {
        return { code: "invalid_value", message: `has an empty slot at ${formatPath([...path, index])}`, path };
      }
      const problem = findValueProblem(value[index], [...path, index], depth + 1);
      if (problem !== null) return problem;
    }
    return null;
  }

  const prototype = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null) {
    return { code: "invalid_value", message: `contains an object at ${formatPath(path)} that is not a plain JSON object`, path };
  }
  for (const [key, child] of Object.entries(value)) {
    const problem = findValueProblem(child, [...path, key], depth + 1);
    if (problem !== null) return problem;
  }
  return null;
}

function listKeys(items: string[], total: number): string {
  const shown = items.slice(0, MAX_KEYS_IN_MESSAGE).join(", ");
  return total > MAX_KEYS_IN_MESSAGE ? `${shown} and ${total - MAX_KEYS_IN_MESSAGE} more` : shown;
}

function describeType(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return `a ${typeof value}`;
}

function utf8Length(text: string): number {
  return new TextEncoder().encode(text).byteLength;
}
