/**
 * Every limit of the product in one place. The guide's Limits page lists each exported
 * constant with the doc comment above it, so each constant needs one that states its unit.
 */
const KiB = 1024;
const MiB = 1024 * KiB;

/** The largest request body, in bytes; larger bodies get 413 before they are parsed. */
export const MAX_REQUEST_BYTES = 8 * MiB;

/** One secrets upload (secrets.json, or a project or platform JSON upload), in bytes. */
export const MAX_SECRETS_FILE_BYTES = 1 * MiB;
/** Secrets one upload may contain, counted as the top-level keys of its JSON object. */
export const MAX_SECRETS_PER_FILE = 1000;
/** One secret value, measured as the UTF-8 bytes of its JSON text. */
export const MAX_SECRET_VALUE_BYTES = 64 * KiB;
/** Secrets one owner (a package, a project or a workspace) may hold in all. */
export const MAX_SECRETS_PER_OWNER = 1000;
/** A secret's name, in characters. */
export const MAX_SECRET_NAME_LENGTH = 128;
/**
 * Data keys one `POST /api/platform/rotate-key` request rewraps. A `remaining` above 0 in the
 * response means to call it again. 1,000 keys take 32 UPDATE statements of up to 32 rows each.
 */
export const MAX_DATA_KEYS_REWRAPPED_PER_REQUEST = 1000;
/** The maximum nesting depth of arrays and objects inside an uploaded JSON file, in levels. */
export const MAX_JSON_DEPTH = 64;

/** One script file of a package, in bytes of UTF-8. */
export const MAX_SCRIPT_BYTES = 1 * MiB;
/** Scripts one package may contain. */
export const MAX_SCRIPTS_PER_PACKAGE = 50;
/** A package's config.json, or the config set through PATCH, in bytes of JSON. */
export const MAX_CONFIG_BYTES = 64 * KiB;
/** The run-time parameters of one execution (the `params` object), in bytes of JSON. */
export const MAX_PARAMS_BYTES = 64 * KiB;

/** The time limit of each step when manifest.json sets no timeout_seconds, in milliseconds. */
export const DEFAULT_STEP_TIMEOUT_MS = 30_000;
/** The largest time limit per step that timeout_seconds may set, in milliseconds. */
export const MAX_STEP_TIMEOUT_MS = 5 * 60_000;
/** The CPU limit set on each dynamic worker, in milliseconds; Cloudflare enforces it, local workerd does not. */
export const STEP_CPU_LIMIT_MS = 30_000;
/** Subrequests one step may make (fetches through the OutboundGate and SDK calls); Cloudflare enforces it. */
export const MAX_STEP_SUBREQUESTS = 1_000;

/** A step's captured console output, in bytes of stored JSON; the rest is cut, with a marker line. */
export const MAX_STEP_OUTPUT_BYTES = 1 * MiB;
/** Secret values shorter than this many characters are not used as substring masks. */
export const MIN_MASKED_LENGTH = 4;

/** Host names that one package's allowed_hosts may list. */
export const MAX_ALLOWED_HOSTS = 20;
/** One value that a script stores with context.state.put, in bytes of JSON. */
export const MAX_STATE_VALUE_BYTES = 64 * KiB;
/** State keys one package may hold. */
export const MAX_STATE_KEYS = 100;

/** How long a playground workspace is kept without use before it is deleted, in milliseconds. One exists per browser visitor. */
export const PLAYGROUND_SESSION_IDLE_MS = 24 * 60 * 60_000;
/** The shortest interval between two writes of a session's last-use time, in milliseconds. */
export const PLAYGROUND_TOUCH_INTERVAL_MS = 60_000;
/** Packages one playground workspace may hold, across its projects. */
export const PLAYGROUND_MAX_PACKAGES = 20;
/** Projects one playground workspace may hold. */
export const PLAYGROUND_MAX_PROJECTS = 10;
/** Executions a playground workspace may start in any sliding window of one minute. */
export const PLAYGROUND_RUNS_PER_MINUTE = 10;
/** The largest request body a playground workspace may send, in bytes. */
export const PLAYGROUND_MAX_REQUEST_BYTES = 2 * MiB;
/**
 * The maximum time limit of a step in a playground workspace, in milliseconds. Locally a loop
 * in a synchronous function holds the whole server until its step's limit, so visitors
 * sharing one server get a short one.
 */
export const PLAYGROUND_MAX_STEP_TIMEOUT_MS = 10_000;
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
/** A package's manifest.json, in bytes. */
export const MAX_MANIFEST_BYTES = 64 * KiB;
