/**
 * Every limit of the product in one place; the guide's Limits page lists the same values.
 */
const KiB = 1024;
const MiB = 1024 * KiB;

/** The largest request body; larger bodies get 413 before they are parsed. */
export const MAX_REQUEST_BYTES = 8 * MiB;

/** A secrets upload (secrets.json, or a project or platform JSON upload). */
export const MAX_SECRETS_FILE_BYTES = 1 * MiB;
export const MAX_SECRETS_PER_FILE = 1000;
/** One secret value, measured as the UTF-8 bytes of its JSON text. */
export const MAX_SECRET_VALUE_BYTES = 64 * KiB;
/** Secrets one owner (a package, a project or a workspace) may hold in all. */
export const MAX_SECRETS_PER_OWNER = 1000;
export const MAX_SECRET_NAME_LENGTH = 128;
/** How deep arrays and objects may nest inside an uploaded JSON file. */
export const MAX_JSON_DEPTH = 64;

export const MAX_SCRIPT_BYTES = 1 * MiB;
export const MAX_SCRIPTS_PER_PACKAGE = 50;
export const MAX_CONFIG_BYTES = 64 * KiB;
export const MAX_PARAMS_BYTES = 64 * KiB;

export const DEFAULT_STEP_TIMEOUT_MS = 30_000;
export const MAX_STEP_TIMEOUT_MS = 5 * 60_000;
/** The CPU limit set on each dynamic worker; Cloudflare enforces it, local workerd does not. */
export const STEP_CPU_LIMIT_MS = 30_000;
/** Subrequests one step may make (fetches through the OutboundGate and SDK calls); Cloudflare enforces it. */
export const MAX_STEP_SUBREQUESTS = 1_000;

/** A step's captured console output; the rest is cut, with a marker line. */
export const MAX_STEP_OUTPUT_BYTES = 1 * MiB;
/** Values shorter than this are not used as substring masks. */
export const MIN_MASKED_LENGTH = 4;

export const MAX_ALLOWED_HOSTS = 20;
export const MAX_STATE_VALUE_BYTES = 64 * KiB;
export const MAX_STATE_KEYS = 100;

/** Playground workspaces: one per browser visitor, deleted after a day without use. */
export const PLAYGROUND_SESSION_IDLE_MS = 24 * 60 * 60_000;
/** How often a session's last use is written back, at most. */
export const PLAYGROUND_TOUCH_INTERVAL_MS = 60_000;
export const PLAYGROUND_MAX_PACKAGES = 20;
export const PLAYGROUND_MAX_PROJECTS = 10;
/** Executions a playground workspace may start in any sliding window of one minute. */
export const PLAYGROUND_RUNS_PER_MINUTE = 10;
/** The largest request body a playground workspace may send. */
export const PLAYGROUND_MAX_REQUEST_BYTES = 2 * MiB;
/** Playground workspaces that may exist at once across the deployment. */
export const PLAYGROUND_MAX_WORKSPACES = 10_000;
/** Idle workspaces one sweep deletes at most, so a sweep stays short. */
export const PLAYGROUND_SWEEP_BATCH = 25;

/** Project and package names, in characters. */
export const MAX_NAME_LENGTH = 100;
/** Project and package descriptions, in characters. */
export const MAX_DESCRIPTION_LENGTH = 1000;
/** A script's file name, in characters; it also becomes a module name in the sandbox. */
export const MAX_SCRIPT_FILE_NAME_LENGTH = 100;
export const MAX_MANIFEST_BYTES = 64 * KiB;
