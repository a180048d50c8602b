/**
 * Load-time instrumentation of a step's script.
 *
 * Local workerd enforces no CPU limit, so a runaway loop would freeze the whole process. The
 * script is parsed with acorn and a guard call is spliced in at node offsets: at the start of
 * every loop body, function body, catch block and finally block. Only text is inserted, never a
 * newline, so line numbers in stacks still point at the script's own lines. Columns after an
 * insertion on the same line move right.
 *
 * NOTE: work inside one native call (a regular expression that backtracks for ever, a huge
 * `Array.prototype.fill`) runs no guard, so locally it holds the process until it returns.
 * The executor then reports the step as timed out, because it ran past its limit. On
 * Cloudflare the dynamic worker's cpuMs limit stops it.
 *
 * The same pass rejects imports other than "ferris_ef" and identifiers that start with
 * `__ferris`, which are reserved so that a script cannot shadow the guard bindings.
 */
import { parse, type Node } from "acorn";
import { GUARD_MODULE, SDK_MODULE } from "./modules";

/** The guard bindings that instrumented code calls, exported by the guard module. */
const TICK = "__ferrisTick";
const PAUSE = "__ferrisPause";
const RESERVED_PREFIX = "__ferris";

export type InstrumentResult =
  | { ok: true; source: string }
  | { ok: false; error: { name: string; message: string; stack: string } };

interface Insertion {
  offset: number;
  text: string;
  /** Generation order, so that insertions at one offset keep outer-before-inner order. */
  sequence: number;
}

/** The nearest enclosing function-like scope, or the module's top level. */
interface Scope {
  /** Whether `await` is valid directly in this scope and yielding to the event loop is allowed. */
  canYield: boolean;
}

type AnyNode = Node & Record<string, unknown>;

class ScriptRejected extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
  }
}

const FUNCTION_TYPES = new Set(["FunctionDeclaration", "FunctionExpression", "ArrowFunctionExpression"]);
const LOOP_TYPES = new Set([
  "WhileStatement",
  "DoWhileStatement",
  "ForStatement",
  "ForInStatement",
  "ForOfStatement",
]);

/** Instruments `source` (an ES module named `fileName`) or returns the error a step fails with. */
export function instrumentScript(fileName: string, source: string): InstrumentResult {
  let ast: Node;
  try {
    ast = parse(source, { ecmaVersion: "latest", sourceType: "module", preserveParens: true, allowHashBang: true });
  } catch (error) {
    return { ok: false, error: syntaxError(fileName, error) };
  }

  const insertions: Insertion[] = [];
  try {
    visit(ast as AnyNode, { canYield: false }, insertions);
  } catch (error) {
    if (!(error instanceof ScriptRejected)) throw error;
    const { line, column } = lineAndColumn(source, error.offset);
    const where = `${fileName}:${line}:${column}`;
    return { ok: false, error: { name: "Error", message: `${error.message} (at ${where})`, stack: `    at ${where}` } };
  }

  return { ok: true, source: applyInsertions(source, insertions) + guardImport() };
}

/** Builds the guard import, placed at the end because imports are hoisted, so no earlier offset moves. */
function guardImport(): string {
  return `\nimport { ${TICK}, ${PAUSE} } from "${GUARD_MODULE}";\n`;
}

function visit(node: AnyNode, scope: Scope, insertions: Insertion[]): void {
  checkNode(node);

  let innerScope = scope;
  if (FUNCTION_TYPES.has(node.type)) {
    // Generators cannot be paused by the guard because `await` is invalid in a sync generator.
    innerScope = { canYield: node.async === true };
    instrumentFunction(node, insertions);
  } else if (node.type === "StaticBlock" || node.type === "PropertyDefinition") {
    innerScope = { canYield: false };
  } else if (LOOP_TYPES.has(node.type)) {
    instrumentLoop(node, scope, insertions);
  } else if (node.type === "TryStatement") {
    const handler = node.handler as AnyNode | null;
    if (handler) insertAfterBrace(handler.body as AnyNode, insertions);
    const finalizer = node.finalizer as AnyNode | null;
    if (finalizer) insertAfterBrace(finalizer, insertions);
  }

  for (const key of Object.keys(node)) {
    const value = node[key];
    if (Array.isArray(value)) {
      for (const item of value) {
        if (isNode(item)) visit(item, innerScope, insertions);
      }
    } else if (isNode(value)) {
      visit(value, innerScope, insertions);
    }
  }
}

function isNode(value: unknown): value is AnyNode {
  return typeof value === "object" && value !== null && typeof (value as { type?: unknown }).type === "string";
}

function checkNode(node: AnyNode): void {
  if ((node.type === "Identifier" || node.type === "PrivateIdentifier") && typeof node.name === "string") {
    if (node.name.startsWith(RESERVED_PREFIX)) {
      throw new ScriptRejected(
        `The identifier ${node.name} is reserved: names starting with ${RESERVED_PREFIX} belong to the sandbox, so rename it`,
        node.start,
      );
    }
  }

  if (node.type === "ImportDeclaration" || node.type === "ExportNamedDeclaration" || node.type === "ExportAllDeclaration") {
    const specifier = node.source as AnyNode | null | undefined;
    if (specifier && specifier.value !== SDK_MODULE) {
      throw new ScriptRejected(
        `Importing ${JSON.stringify(specifier.value)} is not allowed: a script may import only "${SDK_MODULE}"`,
        specifier.start,
      );
    }
  }

  if (node.type === "ImportExpression") {
    const specifier = node.source as AnyNode;
    const literal = specifier.type === "Literal" ? specifier.value : undefined;
    if (literal !== SDK_MODULE) {
      const shown = typeof literal === "string" ? JSON.stringify(literal) : "a computed specifier";
      throw new ScriptRejected(
        `Dynamic import() of ${shown} is not allowed: a script may import only the literal "${SDK_MODULE}"`,
        specifier.start,
      );
    }
  }
}

function instrumentFunction(node: AnyNode, insertions: Insertion[]): void {
  const body = node.body as AnyNode;
  if (body.type === "BlockStatement") {
    insertAfterBrace(body, insertions);
    return;
  }

  // An arrow function with an expression body: `(guard(), expression)` keeps it an expression.
  // With preserveParens, a parenthesized body such as `({ a: 1 })` starts at its parenthesis.
  add(insertions, body.start, `(${TICK}(), `);
  add(insertions, body.end, ")");
}

function instrumentLoop(node: AnyNode, scope: Scope, insertions: Insertion[]): void {
  const guard = scope.canYield ? `if (${TICK}()) await ${PAUSE}();` : `${TICK}();`;
  const body = node.body as AnyNode;
  if (body.type === "BlockStatement") {
    add(insertions, body.start + 1, guard);
    return;
  }

  // A single-statement body gets braces so the guard and the statement form one body.
  add(insertions, body.start, `{${guard} `);
  add(insertions, body.end, " }");
}

function insertAfterBrace(block: AnyNode, insertions: Insertion[]): void {
  add(insertions, block.start + 1, `${TICK}();`);
}

function add(insertions: Insertion[], offset: number, text: string): void {
  insertions.push({ offset, text, sequence: insertions.length });
}

function applyInsertions(source: string, insertions: Insertion[]): string {
  // Applied from the end, so earlier offsets stay valid. At one offset, the later-generated
  // (inner) insertion goes in first, so the earlier (outer) one ends up before it.
  const ordered = [...insertions].sort((a, b) => b.offset - a.offset || b.sequence - a.sequence);
  let result = source;
  for (const insertion of ordered) {
    result = result.slice(0, insertion.offset) + insertion.text + result.slice(insertion.offset);
  }
  return result;
}

function syntaxError(fileName: string, error: unknown): { name: string; message: string; stack: string } {
  const loc = (error as { loc?: { line: number; column: number } }).loc;
  const raw = error instanceof Error ? error.message : String(error);
  // acorn appends "(line:column)" with a 0-based column; the stack form uses 1-based columns.
  const reason = raw.replace(/\s*\(\d+:\d+\)$/, "");
  if (!loc) return { name: "SyntaxError", message: `${reason} in ${fileName}`, stack: "" };
  const where = `${fileName}:${loc.line}:${loc.column + 1}`;
  return { name: "SyntaxError", message: `${reason} (at ${where})`, stack: `    at ${where}` };
}

function lineAndColumn(source: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < source.length; i++) {
    if (source.charCodeAt(i) === 10) {
      line += 1;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}
