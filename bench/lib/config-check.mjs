// Checks that the benchmark's Worker configuration declares every binding of the production
// one, so that a binding added to wrangler.toml cannot silently go missing from the benchmark.
import { readFileSync } from "node:fs";

/** Bindings that the benchmark leaves out on purpose: it serves no static files. */
const OMITTED_BINDINGS = new Set(["ASSETS"]);

/** Returns the binding names that a wrangler.toml declares, as `binding = "X"` or `name = "X"` in a [[...]] table. */
export function bindingNames(tomlText) {
  const names = new Set();
  let inArrayTable = false;
  for (const line of tomlText.split("\n")) {
    const trimmed = line.trim();
    if (trimmed.startsWith("[")) {
      inArrayTable = trimmed.startsWith("[[") && trimmed !== "[[migrations]]";
      const header = /^\[(\w+)\]$/.exec(trimmed);
      // A plain [assets] table names its binding too.
      if (header) inArrayTable = header[1] === "assets";
      continue;
    }
    if (!inArrayTable) continue;
    const match = /^(binding|name)\s*=\s*"([^"]+)"/.exec(trimmed);
    if (match) names.add(match[2]);
  }
  return names;
}

/** Throws naming each production binding that the benchmark configuration lacks. */
export function assertSameBindings(productionPath, benchPath) {
  const production = bindingNames(readFileSync(productionPath, "utf8"));
  const bench = bindingNames(readFileSync(benchPath, "utf8"));
  const missing = [...production].filter((name) => !OMITTED_BINDINGS.has(name) && !bench.has(name));
  if (missing.length > 0) {
    throw new Error(`${benchPath} lacks the binding(s) ${missing.join(", ")} of ${productionPath}: add them so the benchmark runs the production Worker.`);
  }
}
