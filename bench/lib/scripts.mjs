// Sources of the benchmark's packages: the example script, trivial steps, and the scripts
// that read many secrets. Every script fails loudly when a value is missing, so a run that
// did not do its work cannot pass as a fast one.
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const fixturesDirectory = join(dirname(dirname(fileURLToPath(import.meta.url))), "fixtures");

export const EXAMPLE_SCRIPT = {
  fileName: "test_secrets.js",
  source: readFileSync(join(fixturesDirectory, "test_secrets.js"), "utf8"),
};
export const EXAMPLE_SECRETS_JSON = readFileSync(join(fixturesDirectory, "secrets.json"), "utf8");
export const EXAMPLE_SECRETS = JSON.parse(EXAMPLE_SECRETS_JSON);

/** Builds a step that does nothing, so that a run of it costs only the platform's own work. */
export function trivialScript(position) {
  const fileName = `step_${String(position).padStart(2, "0")}.js`;
  return { fileName, source: `export default async function main() {\n  return ${position};\n}\n` };
}

/** Builds a step that reads every named secret and throws when one is missing or wrong. */
export function readSecretsScript(fileName, expected) {
  const source = `import { get_secret } from "ferris_ef";

const EXPECTED = ${JSON.stringify(expected)};

export default async function main() {
  let read = 0;
  for (const [name, value] of Object.entries(EXPECTED)) {
    const actual = await get_secret(name);
    if (actual !== value) throw new Error("secret " + name + " was not the uploaded value");
    read += 1;
  }
  console.log("read " + read + " secrets");
}
`;
  return { fileName, source };
}

/** Builds { NAME: value } for `count` secrets named PREFIX_000, PREFIX_001, ... */
export function secretSet(prefix, count, valueLength = 24) {
  const secrets = {};
  for (let i = 0; i < count; i += 1) {
    const name = `${prefix}_${String(i).padStart(3, "0")}`;
    secrets[name] = `${name.toLowerCase()}-`.padEnd(valueLength, "x");
  }
  return secrets;
}
