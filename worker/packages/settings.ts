/**
 * Validation of package settings, shared by manifest.json at upload and by PATCH requests, so
 * that both reject the same values with the same messages. Each check returns a list of
 * problems instead of throwing, so one response can name every bad field.
 */
import { forbiddenHostReason } from "../sandbox/hosts";
import { MAX_ALLOWED_HOSTS, MAX_DESCRIPTION_LENGTH, MAX_STEP_TIMEOUT_MS } from "../limits";

/** One invalid field: its name (as the client spelled it) and what to do about it. */
export interface FieldProblem {
  field: string;
  message: string;
}

export const MAX_TIMEOUT_SECONDS = MAX_STEP_TIMEOUT_MS / 1000;

/** An RFC 1123 label: letters, digits and hyphens, 1-63 characters, no hyphen at either end. */
const HOST_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const MAX_HOST_LENGTH = 253;

export function checkDescription(value: unknown, field: string, problems: FieldProblem[]): string | undefined {
  if (typeof value !== "string") {
    problems.push({ field, message: "must be a string" });
    return undefined;
  }
  if (value.length > MAX_DESCRIPTION_LENGTH) {
    problems.push({ field, message: `is ${value.length} characters long; the maximum is ${MAX_DESCRIPTION_LENGTH}` });
    return undefined;
  }
  return value;
}

export function checkBoolean(value: unknown, field: string, problems: FieldProblem[]): boolean | undefined {
  if (typeof value !== "boolean") {
    problems.push({ field, message: `must be true or false, not ${JSON.stringify(value)}` });
    return undefined;
  }
  return value;
}

/** Returns the timeout in milliseconds for a whole number of seconds in 1..300. */
export function checkTimeoutSeconds(value: unknown, field: string, problems: FieldProblem[]): number | undefined {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1 || value > MAX_TIMEOUT_SECONDS) {
    problems.push({
      field,
      message: `must be a whole number of seconds from 1 to ${MAX_TIMEOUT_SECONDS}, not ${JSON.stringify(value)}`,
    });
    return undefined;
  }
  return value * 1000;
}

/**
 * Returns the reason an allowed-host entry is invalid, or null when it is valid. An entry is a
 * host name, optionally with `:port`; without a port the sandbox allows the default http and
 * https ports only. Call it on the lowercased entry, because host names compare without case.
 */
export function checkHostName(entry: string): string | null {
  if (entry.includes("://")) return "must be a host name without a scheme (example.com, not https://example.com)";
  if (/[/?#@]/.test(entry)) return "must be a host name without a path, query, fragment or user name";
  if (entry.includes("*")) return "must be an exact host name: wildcards are not supported, so list each host";

  const match = /^([^:]*)(?::(\d+))?$/.exec(entry);
  if (match === null) return "must be a host name with at most one :port";
  const [, host = "", port] = match;
  if (port !== undefined && (port.startsWith("0") || Number(port) < 1 || Number(port) > 65535)) {
    return "has an invalid port: use a number from 1 to 65535";
  }

  if (host.length === 0 || host.length > MAX_HOST_LENGTH) return `must be 1 to ${MAX_HOST_LENGTH} characters long`;
  if (!host.split(".").every((label) => HOST_LABEL.test(label))) {
    return "must be dot-separated labels of ASCII letters, digits and hyphens (write an internationalized name in its xn-- form)";
  }

  // Fetches are compared with the host as URLs spell it, so `127.1` or `0x7f000001` would
  // never match anything: ask for the spelling that does.
  let normalized: string;
  try {
    normalized = new URL(`http://${host}/`).hostname;
  } catch {
    return "is not a valid host name";
  }
  if (normalized !== host.toLowerCase()) {
    return `is spelled ${JSON.stringify(normalized)} in URLs, which is what fetches are compared with: list ${JSON.stringify(normalized)} instead`;
  }

  // The sandbox never reaches these addresses, so listing one is a mistake worth naming.
  const forbidden = forbiddenHostReason(host);
  if (forbidden !== null) return forbidden;
  return null;
}

export function checkAllowedHosts(value: unknown, field: string, problems: FieldProblem[]): string[] | undefined {
  if (!Array.isArray(value) || !value.every((host) => typeof host === "string")) {
    problems.push({ field, message: 'must be an array of host names, for example ["api.example.com"]' });
    return undefined;
  }
  if (value.length > MAX_ALLOWED_HOSTS) {
    problems.push({ field, message: `lists ${value.length} hosts; the maximum is ${MAX_ALLOWED_HOSTS}` });
    return undefined;
  }

  const before = problems.length;
  const hosts = value.map((host: string) => host.toLowerCase());
  const seen = new Set<string>();
  hosts.forEach((host, index) => {
    const reason = checkHostName(host);
    if (reason !== null) {
      problems.push({ field: `${field}[${index}]`, message: `${JSON.stringify(value[index])} ${reason}` });
    } else if (seen.has(host)) {
      problems.push({ field: `${field}[${index}]`, message: `${JSON.stringify(value[index])} is listed twice: list it once` });
    }
    seen.add(host);
  });
  return problems.length === before ? hosts : undefined;
}

/**
 * Checks an execution order against the package's scripts: every script exactly once, because
 * every script is a step and the order sets where each one runs.
 */
export function checkExecutionOrder(
  value: unknown,
  field: string,
  scriptNames: readonly string[],
  problems: FieldProblem[],
): string[] | undefined {
  if (!Array.isArray(value) || !value.every((name) => typeof name === "string")) {
    problems.push({ field, message: 'must be an array of script file names, for example ["fetch.js", "report.js"]' });
    return undefined;
  }

  const before = problems.length;
  const known = new Set(scriptNames);
  const seen = new Set<string>();
  for (const name of value as string[]) {
    if (!known.has(name)) {
      problems.push({ field, message: `names ${JSON.stringify(name)}, which is not one of the scripts (${scriptNames.join(", ")})` });
    } else if (seen.has(name)) {
      problems.push({ field, message: `names ${JSON.stringify(name)} twice: list each script once` });
    }
    seen.add(name);
  }

  const missing = scriptNames.filter((name) => !seen.has(name));
  if (missing.length > 0) {
    problems.push({ field, message: `must list every script; add ${missing.map((name) => JSON.stringify(name)).join(", ")}` });
  }
  return problems.length === before ? [...(value as string[])] : undefined;
}

export function checkEntrypoint(
  value: unknown,
  field: string,
  scriptNames: readonly string[],
  problems: FieldProblem[],
): string | undefined {
  if (typeof value !== "string") {
    problems.push({ field, message: "must be the file name of one of the scripts" });
    return undefined;
  }
  if (!scriptNames.includes(value)) {
    problems.push({ field, message: `names ${JSON.stringify(value)}, which is not one of the scripts (${scriptNames.join(", ")})` });
    return undefined;
  }
  return value;
}

/** Joins problems into one sentence for an error message. */
export function describeProblems(problems: FieldProblem[]): string {
  return problems.map((problem) => `${problem.field} ${problem.message}`).join("; ");
}
