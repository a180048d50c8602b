// The classic executor's step runner: `node runner.mjs SCRIPT` imports one step's script,
// calls its default export and exits 0, or prints the error and exits 1.
import { pathToFileURL } from "node:url";
import { context } from "ferris_ef";

const scriptPath = process.argv[2];
if (!scriptPath) {
  console.error("usage: node runner.mjs SCRIPT");
  process.exit(2);
}

try {
  const module = await import(pathToFileURL(scriptPath).href);
  if (typeof module.default !== "function") throw new TypeError(`${scriptPath} has no default-exported function.`);
  await module.default(context);
} catch (error) {
  console.error(error instanceof Error ? error.stack : String(error));
  process.exit(1);
}
