/**
 * The module sources of a step's dynamic worker. The script may import only "ferris_ef". The
 * other modules have names starting with `__ferris`, which a script can neither import nor
 * name, because the instrumenter rejects both.
 *
 * Evaluation order matters for safety: the runner imports the prelude first, so console and
 * fetch are replaced before the script's module is evaluated, and the guard module captures
 * Date.now, setTimeout and Promise before the script could patch them.
 */
import { OUTBOUND_REJECTED_HEADER, OUTBOUND_REJECTION_SOURCE } from "./hosts";

export const RUNNER_MODULE = "__ferris_runner.js";
export const PRELUDE_MODULE = "__ferris_prelude.js";
export const GUARD_MODULE = "__ferris_guard.js";
export const STATE_MODULE = "__ferris_state.js";
export const SDK_MODULE = "ferris_ef";

/** How many guard calls pass between two reads of the clock. */
const GUARD_CHECK_INTERVAL = 128;
/** How long a loop in an async function may run before it yields one macrotask. */
const GUARD_YIELD_AFTER_MS = 20;
/** The output cap counts each line's UTF-8 text plus this much for its stream and time. */
export const OUTPUT_LINE_OVERHEAD_BYTES = 40;

export interface SandboxModuleOptions {
  fileName: string;
  instrumentedSource: string;
  timeoutMs: number;
  allowedHosts: string[];
  maxOutputBytes: number;
}

/**
 * Builds the `modules` map of the WorkerCode for one step. Each module is typed explicitly
 * because the Worker Loader infers the type from a `.js` ending, which "ferris_ef" lacks.
 */
export function sandboxModules(options: SandboxModuleOptions): Record<string, { js: string }> {
  return {
    [RUNNER_MODULE]: { js: runnerSource(options.fileName) },
    [PRELUDE_MODULE]: { js: preludeSource(options.allowedHosts) },
    [GUARD_MODULE]: { js: guardSource(options.timeoutMs) },
    [STATE_MODULE]: { js: stateSource(options.maxOutputBytes) },
    [SDK_MODULE]: { js: SDK_SOURCE },
    [options.fileName]: { js: options.instrumentedSource },
  };
}

/**
 * Builds the guard module. `__ferrisTick()` throws a TimeoutError once the step's budget is spent and keeps
 * throwing on every later call, so a try/catch around a loop cannot swallow it. Every call
 * counts, in sync functions too, but only every GUARD_CHECK_INTERVAL-th call reads the clock.
 * When that read finds the time slice used up, a yield becomes due, and every call returns true
 * until `__ferrisPause()` runs. A loop in an async function therefore yields
 * (`await __ferrisPause()`) at its next tick, wherever the clock read fell, and the process
 * serves other requests during a long loop.
 */
function guardSource(timeoutMs: number): string {
  return `const dateNow = Date.now;
const setTimer = setTimeout;
const NativePromise = Promise;
const NativeError = Error;
const BUDGET_MS = ${Math.floor(timeoutMs)};
// The clock starts when the runner begins the step, because the platform's clock reads 0
// while modules are evaluated at startup.
let deadline = Infinity;
let startedAt = 0;
let lastYield = 0;
let calls = 0;
let yieldDue = false;
let expired = false;

export function startClock() {
  startedAt = dateNow();
  lastYield = startedAt;
  deadline = startedAt + BUDGET_MS;
}

class TimeoutError extends NativeError {
  constructor() {
    super("The step ran longer than its time limit of " + BUDGET_MS + " ms and was stopped.");
    this.name = "TimeoutError";
  }
}

export function __ferrisTick() {
  if (expired) throw new TimeoutError();
  calls += 1;
  if (calls % ${GUARD_CHECK_INTERVAL} !== 0) return yieldDue;
  const now = dateNow();
  if (now >= deadline) {
    expired = true;
    throw new TimeoutError();
  }
  if (now - lastYield >= ${GUARD_YIELD_AFTER_MS}) yieldDue = true;
  return yieldDue;
}

export function __ferrisPause() {
  yieldDue = false;
  return new NativePromise((resolve) => {
    setTimer(() => {
      lastYield = dateNow();
      resolve();
    }, 0);
  });
}

export function expire() {
  expired = true;
}

export function isExpired() {
  return expired;
}

export function remainingMs() {
  return Math.max(0, deadline - dateNow());
}

export function elapsedMs() {
  return dateNow() - startedAt;
}
`;
}

/** Captured output and the run's inputs, shared by the prelude, the SDK and the runner. */
function stateSource(maxOutputBytes: number): string {
  return `const MAX_OUTPUT_BYTES = ${Math.floor(maxOutputBytes)};
const LINE_OVERHEAD = ${OUTPUT_LINE_OVERHEAD_BYTES};
const encoder = new TextEncoder();
const decoder = new TextDecoder();
const NativeDate = Date;
const toIsoString = Date.prototype.toISOString;
const reflectApply = Reflect.apply;
const stringify = JSON.stringify;
const NativeError = Error;

export const run = { capability: null, params: {}, config: {}, package: { id: "", name: "" }, executionId: "" };
export const output = { lines: [], bytes: 0, truncated: false };

export function formatValue(value) {
  try {
    if (typeof value === "string") return value;
    if (value instanceof NativeError) return typeof value.stack === "string" ? value.stack : value.name + ": " + value.message;
    if (value === undefined) return "undefined";
    if (typeof value === "function") return "[Function " + (value.name || "anonymous") + "]";
    if (typeof value === "bigint") return value + "n";
    if (typeof value === "symbol") return value.toString();
    if (typeof value === "object" && value !== null) {
      const text = stringify(value);
      return text === undefined ? String(value) : text;
    }
    return String(value);
  } catch {
    return "[value that could not be printed]";
  }
}

export function record(stream, values) {
  if (output.truncated) return;
  let text = "";
  for (let i = 0; i < values.length; i++) text += (i === 0 ? "" : " ") + formatValue(values[i]);
  const bytes = encoder.encode(text);
  const remaining = MAX_OUTPUT_BYTES - output.bytes - LINE_OVERHEAD;
  if (bytes.length > remaining) {
    output.truncated = true;
    if (remaining <= 0) return;
    text = decoder.decode(bytes.subarray(0, remaining)).replace(/\\uFFFD$/, "");
  }
  output.bytes += Math.min(bytes.length, Math.max(0, remaining)) + LINE_OVERHEAD;
  output.lines.push({ stream, time: reflectApply(toIsoString, new NativeDate(), []), text });
}
`;
}

/** Replaces console and wraps fetch before the script's module is evaluated. */
function preludeSource(allowedHosts: string[]): string {
  return `import { record } from "${STATE_MODULE}";

const ALLOWED_HOSTS = ${JSON.stringify(allowedHosts)};
const REJECTED_HEADER = ${JSON.stringify(OUTBOUND_REJECTED_HEADER)};
${OUTBOUND_REJECTION_SOURCE}

const sandboxConsole = Object.freeze({
  log: (...values) => record("log", values),
  info: (...values) => record("info", values),
  warn: (...values) => record("warn", values),
  error: (...values) => record("error", values),
  debug: (...values) => record("log", values),
  trace: (...values) => record("log", values),
  dir: (value) => record("log", [value]),
  assert: (condition, ...values) => {
    if (!condition) record("error", ["Assertion failed", ...values]);
  },
});

// The platform's console is dropped for good: a script must not write secrets to the
// platform log, only to captured output, which is masked before it is stored.
Object.defineProperty(globalThis, "console", { value: sandboxConsole, writable: false, configurable: false });

const platformFetch = globalThis.fetch;
const NativeRequest = Request;
const NativeURL = URL;
const NativeTypeError = TypeError;

const headersHas = Headers.prototype.has;
const responseText = Response.prototype.text;
const reflectApply = Reflect.apply;

async function sandboxFetch(input, init) {
  const request = new NativeRequest(input, init);
  const rejection = outboundRejection(new NativeURL(request.url), ALLOWED_HOSTS);
  if (rejection !== null) throw new NativeTypeError(rejection);

  // The platform follows redirects through the OutboundGate, which rejects a hop to a host
  // that is not allowed with a marked response. That response is the gate's, not the remote
  // server's, so it is thrown with the gate's message.
  const response = await platformFetch(request);
  if (reflectApply(headersHas, response.headers, [REJECTED_HEADER])) {
    throw new NativeTypeError(await reflectApply(responseText, response, []));
  }
  return response;
}

Object.defineProperty(globalThis, "fetch", { value: sandboxFetch, writable: false, configurable: false });

// An unhandled rejection would reach the platform log with its message; it goes to the
// captured output instead.
globalThis.addEventListener("unhandledrejection", (event) => {
  event.preventDefault();
  record("error", ["Unhandled promise rejection:", event.reason]);
});
`;
}

/** The `ferris_ef` SDK that scripts import. */
const SDK_SOURCE = `import { run } from "${STATE_MODULE}";

const parseJson = JSON.parse;
const stringify = JSON.stringify;
const hasOwn = Object.hasOwn;

// Calls the executor through the step's capability; a failure comes back as a message and is thrown here.
async function call(method, ...args) {
  if (run.capability === null) {
    throw new Error("ferris_ef works only while the step runs: call it inside the default-exported function, not at the module's top level.");
  }
  const result = await run.capability[method](...args);
  if (!result.ok) throw new Error(result.message);
  return result.value;
}

function requireString(what, value) {
  if (typeof value !== "string" || value === "") {
    throw new TypeError(what + " must be a non-empty string, got " + (value === "" ? "an empty string" : typeof value) + ".");
  }
}

export async function get_secret(name) {
  requireString("get_secret: the secret name", name);
  const json = await call("getSecret", name);
  return json === null ? null : parseJson(json);
}

export function get_param(name) {
  requireString("get_param: the parameter name", name);
  return hasOwn(run.params, name) ? run.params[name] : null;
}

async function setSecret(name, value, scope = "project") {
  requireString("context.secrets.set: the secret name", name);
  const json = stringify(value);
  if (json === undefined) {
    throw new TypeError("context.secrets.set: the value of " + name + " must be a JSON value (string, number, boolean, array or object).");
  }
  await call("setSecret", name, json, scope);
}

async function getState(key) {
  if (key !== undefined) requireString("context.state.get: the key", key);
  const json = await call("getState", key === undefined ? null : key);
  return json === null ? null : parseJson(json);
}

async function putState(key, value) {
  requireString("context.state.put: the key", key);
  const json = stringify(value);
  if (json === undefined) {
    throw new TypeError("context.state.put: the value of " + key + " must be a JSON value.");
  }
  await call("putState", key, json);
}

export const context = Object.freeze({
  secrets: Object.freeze({ get: get_secret, set: setSecret }),
  params: Object.freeze({ get: get_param, all: () => ({ ...run.params }) }),
  config: Object.freeze({
    get: (name) => (hasOwn(run.config, name) ? run.config[name] : null),
    all: () => ({ ...run.config }),
  }),
  package: Object.freeze({
    get id() {
      return run.package.id;
    },
    get name() {
      return run.package.name;
    },
  }),
  execution: Object.freeze({
    get id() {
      return run.executionId;
    },
  }),
  state: Object.freeze({ get: getState, put: putState }),
});

export default context;
`;

/** The main module: an entrypoint whose `run()` calls the script's default export. */
function runnerSource(fileName: string): string {
  return `import "${PRELUDE_MODULE}";
import { WorkerEntrypoint } from "cloudflare:workers";
import { elapsedMs, expire, isExpired, remainingMs, startClock } from "${GUARD_MODULE}";
import { formatValue, output, run } from "${STATE_MODULE}";
import { context } from "${SDK_MODULE}";

const SCRIPT = ${JSON.stringify(fileName)};
const NativeError = Error;
const NativePromise = Promise;
const setTimer = setTimeout;
const clearTimer = clearTimeout;

function describe(error) {
  try {
    if (error instanceof NativeError) {
      return { name: String(error.name), message: String(error.message), stack: typeof error.stack === "string" ? error.stack : "" };
    }
    return { name: "Error", message: "The script threw a non-Error value: " + formatValue(error), stack: "" };
  } catch {
    return { name: "Error", message: "The script threw a value that could not be described.", stack: "" };
  }
}

async function invoke() {
  const module = await import(SCRIPT);
  if (typeof module.default !== "function") {
    throw new TypeError(SCRIPT + " has no default-exported function: write export default async function main() { ... }");
  }
  await module.default(context);
}

export default class Runner extends WorkerEntrypoint {
  // The capability is a stub of the executor's StepCapability for this step. The platform
  // disposes it when this call returns, so it cannot outlive the step.
  async run(input, capability) {
    startClock();
    run.capability = capability ?? null;
    run.params = input.params;
    run.config = input.config;
    run.package = input.package;
    run.executionId = input.executionId;

    // A script that awaits a promise that never settles runs no guard, so a timer ends it.
    let timer;
    const deadline = new NativePromise((resolve) => {
      timer = setTimer(() => {
        expire();
        resolve();
      }, remainingMs());
    });

    let error = null;
    try {
      await NativePromise.race([invoke(), deadline]);
    } catch (thrown) {
      error = describe(thrown);
    } finally {
      clearTimer(timer);
    }

    // Measured before expire(), from the same clock as the guard. The executor compares it
    // with the limit, because one long native call runs no guard and can end past the limit.
    const ranMs = elapsedMs();
    const timedOut = isExpired();
    expire();
    run.capability = null;
    return { timedOut, elapsedMs: ranMs, error: timedOut ? null : error, output: output.lines, truncated: output.truncated };
  }
}
`;
}
