/**
 * The upload-time check of a step script: it must parse as an ES module, default-export a
 * function, import nothing but the "ferris_ef" SDK, and use no identifier that the sandbox
 * reserves for its own instrumentation.
 */
import { parse, tokTypes, type Node, type Program, type Token } from "acorn";
import { full } from "acorn-walk";
import { ApiError } from "../api/errors";

/** The one module a step script may import. */
export const SDK_MODULE = "ferris_ef";

/** The prefix of names the sandbox instrumentation uses, so a script cannot shadow them. */
export const RESERVED_IDENTIFIER_PREFIX = "__ferris";

export const EXPECTED_SCRIPT_SHAPE = [
  `import { get_secret, get_param } from "${SDK_MODULE}";`,
  "export default async function main() { ... }",
].join("\n");

export type ScriptCheckResult = { ok: true } | { ok: false; error: ApiError };

interface Location {
  line: number;
  /** 1-based, as editors count columns. */
  column: number;
}

/** Parses one script and checks the rules above; `fileName` appears in every error. */
export function checkScript(fileName: string, source: string): ScriptCheckResult {
  const reservedNames: { name: string; location: Location }[] = [];
  let program: Program;

  try {
    program = parse(source, {
      ecmaVersion: "latest",
      sourceType: "module",
      locations: true,
      onToken: (token: Token) => {
        if (token.type !== tokTypes.name && token.type !== tokTypes.privateId) return;
        // acorn sets `value` on name tokens (the identifier with escapes decoded), but its
        // type declarations omit the field.
        const name = String((token as Token & { value?: unknown }).value);
        if (name.startsWith(RESERVED_IDENTIFIER_PREFIX)) reservedNames.push({ name, location: locationOf(token) });
      },
    });
  } catch (error) {
    return { ok: false, error: syntaxError(fileName, error) };
  }

  const reserved = reservedNames[0];
  if (reserved !== undefined) {
    const { line, column } = reserved.location;
    return {
      ok: false,
      error: new ApiError(
        400,
        "reserved_identifier",
        `${fileName} line ${line}, column ${column}: the identifier ${reserved.name} is reserved, because names ` +
          `starting with ${RESERVED_IDENTIFIER_PREFIX} belong to the sandbox. Rename it.`,
        { file: fileName, identifier: reserved.name, line, column },
      ),
    };
  }

  const importError = findDisallowedImport(fileName, program);
  if (importError !== null) return { ok: false, error: importError };

  if (!hasDefaultExportedFunction(program)) {
    return {
      ok: false,
      error: new ApiError(
        400,
        "missing_default_export",
        `${fileName} does not default-export a function. A step is an ES module whose default export ` +
          `is the function to run, for example:\n${EXPECTED_SCRIPT_SHAPE}`,
        { file: fileName, expected: EXPECTED_SCRIPT_SHAPE },
      ),
    };
  }

  return { ok: true };
}

function locationOf(node: { loc?: { start: { line: number; column: number } } | null }): Location {
  const start = node.loc?.start;
  return { line: start?.line ?? 1, column: (start?.column ?? 0) + 1 };
}

function syntaxError(fileName: string, error: unknown): ApiError {
  if (!(error instanceof SyntaxError)) throw error;

  // acorn reports the position as `loc` (1-based line, 0-based column) and appends
  // " (line:column)" to the message, which the error below states in words instead.
  const loc = (error as SyntaxError & { loc?: { line: number; column: number } }).loc;
  const line = loc?.line ?? 1;
  const column = (loc?.column ?? 0) + 1;
  const reason = error.message.replace(/\s*\(\d+:\d+\)$/, "");
  return new ApiError(
    400,
    "invalid_script_syntax",
    `${fileName} line ${line}, column ${column}: syntax error: ${reason}. Fix the script so that it parses ` +
      "as an ES module.",
    { file: fileName, line, column, reason },
  );
}

/** Returns an error for the first import of anything but the SDK, or null when there is none. */
function findDisallowedImport(fileName: string, program: Program): ApiError | null {
  let found: ApiError | null = null;

  full(program, (node: Node) => {
    if (found !== null) return;

    switch (node.type) {
      case "ImportDeclaration":
      case "ExportAllDeclaration":
      case "ExportNamedDeclaration": {
        const source = (node as Node & { source?: { value?: unknown } | null }).source;
        if (source && source.value !== SDK_MODULE) {
          found = importNotAllowed(fileName, String(source.value), node);
        }
        break;
      }
      case "ImportExpression": {
        const source = (node as Node & { source: Node & { value?: unknown } }).source;
        if (source.type !== "Literal" || source.value !== SDK_MODULE) {
          const specifier = source.type === "Literal" ? String(source.value) : "(a computed specifier)";
          found = importNotAllowed(fileName, specifier, node);
        }
        break;
      }
    }
  });

  return found;
}

function importNotAllowed(fileName: string, specifier: string, node: Node): ApiError {
  const { line, column } = locationOf(node);
  return new ApiError(
    400,
    "import_not_allowed",
    `${fileName} line ${line}, column ${column}: the import of ${JSON.stringify(specifier)} is not allowed. ` +
      `Steps may import only "${SDK_MODULE}" (with a literal specifier), so put shared code in the script itself.`,
    { file: fileName, specifier, line, column },
  );
}

type AnyNode = Node & Record<string, any>;

function isFunctionNode(node: AnyNode | null | undefined): boolean {
  if (!node) return false;
  const isFunction =
    node.type === "FunctionDeclaration" || node.type === "FunctionExpression" || node.type === "ArrowFunctionExpression";
  return isFunction && node.generator !== true;
}

/**
 * Whether the module's default export is a function: declared in place, or a top-level
 * function or `const` binding of a function exported as `default` by name.
 */
function hasDefaultExportedFunction(program: Program): boolean {
  const topLevelFunctions = new Set<string>();
  for (const statement of program.body as AnyNode[]) {
    if (statement.type === "FunctionDeclaration" && isFunctionNode(statement)) {
      topLevelFunctions.add(statement.id.name);
    }
    if (statement.type === "VariableDeclaration" && statement.kind === "const") {
      for (const declarator of statement.declarations as AnyNode[]) {
        if (declarator.id.type === "Identifier" && isFunctionNode(declarator.init)) {
          topLevelFunctions.add(declarator.id.name);
        }
      }
    }
  }

  for (const statement of program.body as AnyNode[]) {
    if (statement.type === "ExportDefaultDeclaration") {
      const declaration = statement.declaration as AnyNode;
      if (isFunctionNode(declaration)) return true;
      return declaration.type === "Identifier" && topLevelFunctions.has(declaration.name);
    }

    if (statement.type === "ExportNamedDeclaration" && statement.source === null) {
      for (const specifier of statement.specifiers as AnyNode[]) {
        const exported = specifier.exported.type === "Identifier" ? specifier.exported.name : specifier.exported.value;
        if (exported === "default") {
          return specifier.local.type === "Identifier" && topLevelFunctions.has(specifier.local.name);
        }
      }
    }
  }

  return false;
}
