/**
 * Decoding of the small JSON side files of a package upload (config.json, manifest.json):
 * strict UTF-8, a size limit, a JSON object at the top, no duplicate keys, no number that
 * loses precision, and a bounded nesting depth.
 */
import { ApiError } from "../api/errors";
import { MAX_JSON_DEPTH } from "../limits";
import { formatPath, parseStrictJson, type StrictJsonFailure } from "../secrets/strict-json";

export type Result<T> = { ok: true; value: T } | { ok: false; error: ApiError };

export type JsonObject = { [key: string]: unknown };

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

/** Decodes UTF-8 (a leading BOM is dropped); invalid bytes give an error naming the file. */
export function decodeUtf8(bytes: Uint8Array, fileName: string): Result<string> {
  try {
    return { ok: true, value: utf8.decode(bytes) };
  } catch {
    return {
      ok: false,
      error: new ApiError(400, "invalid_encoding", `${fileName} is not valid UTF-8: save it as UTF-8 and upload it again.`, {
        file: fileName,
      }),
    };
  }
}

/** Returns the nesting depth of a parsed JSON value: 0 for a scalar, 1 for a flat array or object. */
export function jsonDepth(value: unknown): number {
  let max = 0;
  const pending: { value: unknown; depth: number }[] = [{ value, depth: 0 }];

  // An explicit stack, because recursion on a hostile document could exhaust the call stack.
  while (pending.length > 0) {
    const item = pending.pop()!;
    if (item.value === null || typeof item.value !== "object") continue;

    const depth = item.depth + 1;
    if (depth > max) max = depth;
    if (depth > MAX_JSON_DEPTH) return depth;

    const children = Array.isArray(item.value) ? item.value : Object.values(item.value);
    for (const child of children) pending.push({ value: child, depth });
  }

  return max;
}

/** Parses a JSON file whose top level must be an object, within `maxBytes`. */
export function parseJsonObjectFile(bytes: Uint8Array, fileName: string, maxBytes: number): Result<JsonObject> {
  if (bytes.byteLength > maxBytes) {
    return {
      ok: false,
      error: new ApiError(413, "file_too_large", `${fileName} is ${bytes.byteLength} bytes, over the limit of ${maxBytes} bytes: shrink it.`, {
        file: fileName,
        size: bytes.byteLength,
        limit: maxBytes,
      }),
    };
  }

  const text = decodeUtf8(bytes, fileName);
  if (!text.ok) return text;

  const parsed = parseStrictJson(text.value, MAX_JSON_DEPTH);
  if (!parsed.ok) return { ok: false, error: jsonFailure(parsed.failure, fileName) };

  const issue = parsed.numberIssues[0];
  if (issue !== undefined) {
    const where = issue.path.length > 0 ? ` at ${formatPath(issue.path)}` : "";
    return {
      ok: false,
      error: new ApiError(
        400,
        "unsafe_number",
        `${fileName} has the number ${issue.literal}${where}, which a JavaScript number cannot hold exactly: write it as a string.`,
        { file: fileName, path: formatPath(issue.path), literal: issue.literal },
      ),
    };
  }

  const value: unknown = parsed.value;
  return checkJsonObject(value, fileName);
}

function jsonFailure(failure: StrictJsonFailure, fileName: string): ApiError {
  const position = `line ${failure.line}, column ${failure.column}`;
  switch (failure.kind) {
    case "syntax":
      return new ApiError(400, "invalid_json", `${fileName} is not valid JSON at ${position}: ${failure.detail}. Fix the syntax and upload it again.`, {
        file: fileName,
        line: failure.line,
        column: failure.column,
      });
    case "duplicate_key":
      return new ApiError(
        400,
        "duplicate_key",
        `${fileName} has the key ${JSON.stringify(failure.key)} twice (the second at ${position}): keep one of them.`,
        { file: fileName, key: failure.key, path: formatPath(failure.path), line: failure.line, column: failure.column },
      );
    case "too_deep":
      return tooDeep(fileName);
  }
}

function tooDeep(fileName: string): ApiError {
  return new ApiError(400, "too_deep", `${fileName} nests arrays and objects more than ${MAX_JSON_DEPTH} levels deep: flatten it.`, {
    file: fileName,
    limit: MAX_JSON_DEPTH,
  });
}

/** Checks that an already parsed value is a JSON object within the nesting limit. */
export function checkJsonObject(value: unknown, fileName: string): Result<JsonObject> {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    return {
      ok: false,
      error: new ApiError(400, "not_an_object", `${fileName} must contain a JSON object ({ ... }) at the top level.`, {
        file: fileName,
      }),
    };
  }

  if (jsonDepth(value) > MAX_JSON_DEPTH) return { ok: false, error: tooDeep(fileName) };

  return { ok: true, value: value as JsonObject };
}
