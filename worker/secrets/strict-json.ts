/**
 * A strict JSON parser (RFC 8259) for uploaded files. JSON.parse silently keeps the last of
 * two duplicate keys, reports no line or column, and offers no depth limit, so uploads go
 * through this parser instead. It also reports every number that a double cannot hold
 * exactly, with the literal as written.
 */
import type { JsonValue } from "../executor/event";

/** One step of a path into a JSON value: an object key or an array index. */
export type PathSegment = string | number;

/** A number literal that a JavaScript number cannot hold exactly. */
export interface NumberIssue {
  kind: "unsafe_integer" | "infinite_number";
  /** The literal exactly as written in the file. */
  literal: string;
  path: PathSegment[];
}

/** One member of the root object, in file order. */
export interface RootMember {
  key: string;
  value: JsonValue;
}

export type StrictJsonFailure =
  | { kind: "syntax"; detail: string; line: number; column: number }
  | { kind: "duplicate_key"; key: string; path: PathSegment[]; line: number; column: number }
  | { kind: "too_deep"; line: number; column: number };

export type StrictJsonResult =
  | {
      ok: true;
      value: JsonValue;
      /** The root object's members in file order, or null when the root is not an object. */
      members: RootMember[] | null;
      numberIssues: NumberIssue[];
    }
  | { ok: false; failure: StrictJsonFailure };

/**
 * Parses `text` as one JSON value. Arrays and objects may nest `maxDepth` levels deep,
 * the root counting as the first level.
 */
export function parseStrictJson(text: string, maxDepth: number): StrictJsonResult {
  const parser = new Parser(text, maxDepth);
  try {
    parser.skipWhitespace();
    const rootIsObject = text[parser.index] === "{";
    const value = parser.parseValue(1);
    parser.skipWhitespace();
    if (parser.index < text.length) parser.fail("unexpected content after the end of the JSON value");
    return { ok: true, value, members: rootIsObject ? parser.rootMembers : null, numberIssues: parser.numberIssues };
  } catch (error) {
    if (error instanceof ParseFailure) return { ok: false, failure: error.failure };
    throw error;
  }
}

/** Formats a path as `KEY.child[2]`, quoting keys that are not plain identifiers. */
export function formatPath(path: PathSegment[]): string {
  let formatted = "";
  for (const segment of path) {
    if (typeof segment === "number") {
      formatted += `[${segment}]`;
    } else if (/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(segment)) {
      formatted += formatted === "" ? segment : `.${segment}`;
    } else {
      formatted += `[${JSON.stringify(segment)}]`;
    }
  }
  return formatted;
}

/** Returns the 1-based line and column of a position in `text`, counting UTF-16 code units. */
export function lineAndColumn(text: string, index: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < index && i < text.length; i++) {
    if (text.charCodeAt(i) === 0x0a) {
      line += 1;
      lineStart = i + 1;
    }
  }
  return { line, column: index - lineStart + 1 };
}

class ParseFailure extends Error {
  constructor(readonly failure: StrictJsonFailure) {
    super(failure.kind);
  }
}

const NUMBER_PATTERN = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
const SIMPLE_ESCAPES: Record<string, string> = { '"': '"', "\\": "\\", "/": "/", b: "\b", f: "\f", n: "\n", r: "\r", t: "\t" };

class Parser {
  index = 0;
  readonly path: PathSegment[] = [];
  readonly rootMembers: RootMember[] = [];
  readonly numberIssues: NumberIssue[] = [];

  constructor(
    readonly text: string,
    readonly maxDepth: number,
  ) {}

  fail(detail: string, at = this.index): never {
    throw new ParseFailure({ kind: "syntax", detail, ...lineAndColumn(this.text, at) });
  }

  skipWhitespace(): void {
    while (this.index < this.text.length) {
      const char = this.text[this.index];
      if (char !== " " && char !== "\t" && char !== "\n" && char !== "\r") return;
      this.index += 1;
    }
  }

  parseValue(depth: number): JsonValue {
    this.skipWhitespace();
    const char = this.text[this.index];
    if (char === undefined) this.fail("unexpected end of input, expected a value");

    if (char === "{" || char === "[") {
      if (depth > this.maxDepth) {
        throw new ParseFailure({ kind: "too_deep", ...lineAndColumn(this.text, this.index) });
      }
      return char === "{" ? this.parseObject(depth) : this.parseArray(depth);
    }
    if (char === '"') return this.parseString();
    if (char === "-" || (char >= "0" && char <= "9")) return this.parseNumber();

    for (const [word, value] of [["true", true], ["false", false], ["null", null]] as const) {
      if (this.text.startsWith(word, this.index)) {
        this.index += word.length;
        return value;
      }
    }
    this.fail(`unexpected character ${describeChar(char)}, expected a value`);
  }

  parseObject(depth: number): JsonValue {
    // A null prototype means a "__proto__" key is stored as an ordinary property.
    const object: Record<string, JsonValue> = Object.create(null);
    const seen = new Set<string>();
    this.index += 1;
    this.skipWhitespace();
    if (this.text[this.index] === "}") {
      this.index += 1;
      return object;
    }

    for (;;) {
      this.skipWhitespace();
      const keyStart = this.index;
      if (this.text[this.index] !== '"') this.fail(this.expected('a property name in double quotes'));
      const key = this.parseString();
      if (seen.has(key)) {
        throw new ParseFailure({
          kind: "duplicate_key",
          key,
          path: [...this.path, key],
          ...lineAndColumn(this.text, keyStart),
        });
      }
      seen.add(key);

      this.skipWhitespace();
      if (this.text[this.index] !== ":") this.fail(this.expected('":" after a property name'));
      this.index += 1;

      this.path.push(key);
      const value = this.parseValue(depth + 1);
      this.path.pop();
      object[key] = value;
      if (depth === 1) this.rootMembers.push({ key, value });

      this.skipWhitespace();
      const next = this.text[this.index];
      this.index += 1;
      if (next === "}") return object;
      if (next !== ",") this.fail(this.expected('"," or "}" after a property value', next), this.index - 1);
    }
  }

  parseArray(depth: number): JsonValue {
    const array: JsonValue[] = [];
    this.index += 1;
    this.skipWhitespace();
    if (this.text[this.index] === "]") {
      this.index += 1;
      return array;
    }

    for (;;) {
      this.path.push(array.length);
      array.push(this.parseValue(depth + 1));
      this.path.pop();

      this.skipWhitespace();
      const next = this.text[this.index];
      this.index += 1;
      if (next === "]") return array;
      if (next !== ",") this.fail(this.expected('"," or "]" after an array element', next), this.index - 1);
    }
  }

  parseString(): string {
    const start = this.index;
    this.index += 1;
    let result = "";
    let runStart = this.index;

    for (;;) {
      const code = this.text.charCodeAt(this.index);
      if (Number.isNaN(code)) this.fail("unterminated string", start);
      if (code === 0x22) break;
      if (code < 0x20) {
        this.fail(`control character ${describeChar(this.text[this.index] ?? "")} in a string, write it as an escape such as \\n`);
      }
      if (code !== 0x5c) {
        this.index += 1;
        continue;
      }

      result += this.text.slice(runStart, this.index);
      result += this.parseEscape();
      runStart = this.index;
    }

    result += this.text.slice(runStart, this.index);
    this.index += 1;
    return result;
  }

  parseEscape(): string {
    const escapeStart = this.index;
    const letter = this.text[this.index + 1];
    if (letter === undefined) this.fail("unterminated string");

    const simple = SIMPLE_ESCAPES[letter];
    if (simple !== undefined) {
      this.index += 2;
      return simple;
    }
    if (letter === "u") {
      const hex = this.text.slice(this.index + 2, this.index + 6);
      if (!/^[0-9A-Fa-f]{4}$/.test(hex)) this.fail("invalid \\u escape, expected four hex digits", escapeStart);
      this.index += 6;
      return String.fromCharCode(Number.parseInt(hex, 16));
    }
    this.fail(`invalid escape ${describeChar(`\\${letter}`)} in a string`, escapeStart);
  }

  parseNumber(): number {
    NUMBER_PATTERN.lastIndex = this.index;
    const match = NUMBER_PATTERN.exec(this.text);
    const literal = match?.[0] ?? "";
    const after = this.text[this.index + literal.length];
    if (literal === "" || literal === "-" || (after !== undefined && /[0-9.eE+-]/.test(after))) {
      const end = this.text.slice(this.index).search(/[\s,\]}]|$/);
      this.fail(`invalid number ${JSON.stringify(this.text.slice(this.index, this.index + end))}`);
    }

    this.index += literal.length;
    const value = Number(literal);
    if (!Number.isFinite(value)) {
      this.numberIssues.push({ kind: "infinite_number", literal, path: [...this.path] });
    } else if (Number.isInteger(value) && !Number.isSafeInteger(value)) {
      this.numberIssues.push({ kind: "unsafe_integer", literal, path: [...this.path] });
    }
    return value;
  }

  expected(what: string, found = this.text[this.index]): string {
    return found === undefined ? `unexpected end of input, expected ${what}` : `expected ${what}, found ${describeChar(found)}`;
  }
}

function describeChar(char: string): string {
  const code = char.codePointAt(0) ?? 0;
  if (char.length === 1 && (code < 0x20 || code === 0x7f)) {
    return `U+${code.toString(16).toUpperCase().padStart(4, "0")}`;
  }
  return JSON.stringify(char);
}
