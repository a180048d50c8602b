// The classic executor's ferris_ef module: the same calls as the sandbox SDK, served from the
// child process's environment. Each secret arrives as FERRIS_SECRET_<name> holding the
// value's JSON text, and the run parameters as FERRIS_PARAMS (a JSON object).
const SECRET_PREFIX = "FERRIS_SECRET_";

const params = JSON.parse(process.env.FERRIS_PARAMS ?? "{}");
const config = JSON.parse(process.env.FERRIS_CONFIG ?? "{}");

/** Returns the secret's value, or null when no secret has that name. */
export async function get_secret(name) {
  const text = process.env[SECRET_PREFIX + name];
  return text === undefined ? null : JSON.parse(text);
}

/** Returns the run parameter, or null when it is absent. */
export function get_param(name) {
  return Object.hasOwn(params, name) ? params[name] : null;
}

/** The run's context, the argument of a script's default export, as in the sandbox SDK. */
export const context = {
  secrets: { get: get_secret },
  params: { get: get_param, all: () => ({ ...params }) },
  config: { get: (name) => (Object.hasOwn(config, name) ? config[name] : null), all: () => ({ ...config }) },
  package: { id: params.package_id ?? null, name: params.package_name ?? null },
};

export default context;
