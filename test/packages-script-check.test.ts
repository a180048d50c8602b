import { describe, expect, it } from "vitest";
import { checkScript, EXPECTED_SCRIPT_SHAPE } from "../worker/packages/script-check";

function errorOf(source: string, fileName = "step.js") {
  const result = checkScript(fileName, source);
  if (result.ok) throw new Error(`expected ${fileName} to be rejected`);
  return result.error;
}

describe("checkScript", () => {
  it.each([
    ["async function declaration", 'import { get_secret } from "ferris_ef";\nexport default async function main() {}'],
    ["plain function declaration", "export default function () { return 1; }"],
    ["arrow function", "export default async () => 1;"],
    ["function expression", "export default (function run() {});"],
    ["named top-level function", "async function main() {}\nexport default main;"],
    ["const arrow exported by name", "const main = async () => {};\nexport { main as default };"],
    ["dynamic import of the SDK", 'export default async function main() { const sdk = await import("ferris_ef"); return sdk; }'],
    ["re-export from the SDK", 'export { get_secret } from "ferris_ef";\nexport default function main() {}'],
    ["top-level await", "await 0;\nexport default function main() {}"],
  ])("accepts %s", (_case, source) => {
    expect(checkScript("step.js", source)).toEqual({ ok: true });
  });

  it("syntax error names file, line and column", () => {
    const error = errorOf("export default function main() {\n  const x = ;\n}\n", "broken.js");
    expect(error.status).toBe(400);
    expect(error.code).toBe("invalid_script_syntax");
    expect(error.message).toBe(
      "broken.js line 2, column 13: syntax error: Unexpected token. Fix the script so that it parses as an ES module.",
    );
    expect(error.details).toEqual({ file: "broken.js", line: 2, column: 13, reason: "Unexpected token" });
  });

  it("CommonJS-only syntax fails as a module", () => {
    // `with` is forbidden in strict mode, and modules are always strict.
    const error = errorOf("with (Math) { max(1, 2); }\nexport default function main() {}");
    expect(error.code).toBe("invalid_script_syntax");
    expect(error.message).toContain("step.js line 1, column 1");
  });

  it.each([
    ["no export", "function main() {}"],
    ["named export only", "export function main() {}"],
    ["default export of a value", "export default 42;"],
    ["default export of an object", "export default { fetch() {} };"],
    ["default export of a generator", "export default function* main() {}"],
    ["default export of an unknown name", "export default main;"],
    ["default export of a let binding", "let main = () => {};\nexport default main;"],
    ["empty file", ""],
  ])("rejects %s with the expected shape", (_case, source) => {
    const error = errorOf(source);
    expect(error.code).toBe("missing_default_export");
    expect(error.message).toBe(
      "step.js does not default-export a function. A step is an ES module whose default export is the function " +
        `to run, for example:\n${EXPECTED_SCRIPT_SHAPE}`,
    );
    expect(error.message).toContain('import { get_secret, get_param } from "ferris_ef";');
    expect(error.message).toContain("export default async function main() { ... }");
  });

  it.each([
    ["static import", 'import fs from "node:fs";\nexport default function main() {}', "node:fs", 1],
    ["bare side-effect import", 'import "lodash";\nexport default function main() {}', "lodash", 1],
    ["relative import", 'import { helper } from "./helper.js";\nexport default function main() {}', "./helper.js", 1],
    ["re-export", 'export * from "other";\nexport default function main() {}', "other", 1],
    ["named re-export", 'export { x } from "other";\nexport default function main() {}', "other", 1],
    ["dynamic import", 'export default async function main() {\n  await import("node:child_process");\n}', "node:child_process", 2],
    ["computed dynamic import", 'export default async function main() {\n  const name = "ferris_ef";\n  await import(name);\n}', "(a computed specifier)", 3],
    ["template dynamic import", "export default async function main() {\n  await import(`ferris_ef`);\n}", "(a computed specifier)", 2],
  ])("rejects %s naming the specifier", (_case, source, specifier, line) => {
    const error = errorOf(source);
    expect(error.code).toBe("import_not_allowed");
    expect(error.message).toContain(`the import of ${JSON.stringify(specifier)} is not allowed`);
    expect(error.message).toContain('Steps may import only "ferris_ef"');
    expect(error.details).toMatchObject({ file: "step.js", specifier, line });
  });

  it.each([
    ["a variable", "const __ferrisGuard = 1;\nexport default function main() {}", "__ferrisGuard"],
    ["a parameter", "export default function main(__ferris_tick) {}", "__ferris_tick"],
    ["a property name", "export default function main() { return globalThis.__ferrisDeadline; }", "__ferrisDeadline"],
    ["an escaped identifier", "const \\u005f_ferrisX = 1;\nexport default function main() {}", "__ferrisX"],
    ["a private field", "class A { #__ferris = 1; }\nexport default function main() {}", "__ferris"],
  ])("rejects reserved identifier in %s", (_case, source, name) => {
    const error = errorOf(source);
    expect(error.code).toBe("reserved_identifier");
    expect(error.message).toContain(`the identifier ${name} is reserved`);
    expect(error.message).toContain("Rename it.");
  });

  it("allows __ferris inside a string", () => {
    expect(checkScript("step.js", 'export default function main() { return "__ferris"; }')).toEqual({ ok: true });
  });
});
