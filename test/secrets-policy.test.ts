import { describe, expect, it } from "vitest";
import type { ApiError } from "../worker/api/errors";
import { checkSecretName, checkSecretValue, parseSecretsFile, type UploadResult } from "../worker/secrets/policy";

const encoder = new TextEncoder();

function parse(text: string): UploadResult {
  return parseSecretsFile(encoder.encode(text));
}

/** Returns the error of a rejected upload, failing the test if the upload was accepted. */
function rejected(result: UploadResult | ReturnType<typeof checkSecretValue>): ApiError {
  if (result.ok) throw new Error(`expected a rejection, got ${JSON.stringify(result)}`);
  return result.error;
}

function entriesOf(result: UploadResult) {
  if (!result.ok) throw new Error(`expected acceptance, got ${result.error.code}: ${result.error.message}`);
  return result.entries;
}

describe("parseSecretsFile encoding", () => {
  it("accepts a leading UTF-8 BOM", () => {
    const bytes = new Uint8Array([0xef, 0xbb, 0xbf, ...encoder.encode('{"A": "x"}')]);
    expect(entriesOf(parseSecretsFile(bytes))).toEqual([{ name: "A", json: '"x"' }]);
  });

  it.each([
    ["UTF-16 LE", [0xff, 0xfe, 0x7b, 0x00, 0x7d, 0x00]],
    ["UTF-16 BE", [0xfe, 0xff, 0x00, 0x7b, 0x00, 0x7d]],
    ["UTF-32 LE", [0xff, 0xfe, 0x00, 0x00, 0x7b, 0x00, 0x00, 0x00]],
    ["UTF-32 BE", [0x00, 0x00, 0xfe, 0xff, 0x00, 0x00, 0x00, 0x7b]],
  ])("rejects a %s byte order mark", (encoding, bytes) => {
    const error = rejected(parseSecretsFile(new Uint8Array(bytes)));
    expect(error.status).toBe(400);
    expect(error.code).toBe("invalid_encoding");
    expect(error.message).toBe(
      `The secrets file must be UTF-8, but it starts with a ${encoding} byte order mark: save it as UTF-8.`,
    );
  });

  it("rejects invalid UTF-8", () => {
    const bytes = new Uint8Array([...encoder.encode('{"A": "'), 0xc3, 0x28, ...encoder.encode('"}')]);
    const error = rejected(parseSecretsFile(bytes));
    expect(error.code).toBe("invalid_encoding");
    expect(error.message).toBe(
      "The secrets file must be UTF-8, but it contains bytes that are not valid UTF-8: save it as UTF-8.",
    );
  });

  it("accepts non-ASCII UTF-8 text", () => {
    expect(entriesOf(parse('{"GREETING": "grüß dich, 東京"}'))).toEqual([
      { name: "GREETING", json: '"grüß dich, 東京"' },
    ]);
  });

  it("names the file label in messages", () => {
    const error = rejected(parseSecretsFile(encoder.encode("[]"), "secrets.json"));
    expect(error.message).toBe("secrets.json must be a JSON object of secret names and values, but it is an array.");
  });
});

describe("parseSecretsFile JSON syntax", () => {
  it.each([
    ['{"A": 1,}', "line 1, column 9: expected a property name in double quotes, found \"}\""],
    ['{"A": 1\n  "B": 2}', 'line 2, column 3: expected "," or "}" after a property value, found "\\""'],
    ['{"A": tru}', 'line 1, column 7: unexpected character "t", expected a value'],
    ['{"A": 01}', 'line 1, column 7: invalid number "01"'],
    ['{"A": 1.}', 'line 1, column 7: invalid number "1."'],
    ['{"A": "x\\q"}', 'line 1, column 9: invalid escape "\\\\q" in a string'],
    ['{"A": "\\u12G4"}', "line 1, column 8: invalid \\u escape, expected four hex digits"],
    ['{"A": "x\ny"}', "line 1, column 9: control character U+000A in a string, write it as an escape such as \\n"],
    ['{"A": "x', "line 1, column 7: unterminated string"],
    ['{"A": ', "line 1, column 7: unexpected end of input, expected a value"],
    ['{"A": 1} {}', "line 1, column 10: unexpected content after the end of the JSON value"],
    ["{'A': 1}", "line 1, column 2: expected a property name in double quotes, found \"'\""],
    ['{"A": NaN}', 'line 1, column 7: unexpected character "N", expected a value'],
  ])("rejects %j with its position", (text, expected) => {
    const error = rejected(parse(text));
    expect(error.status).toBe(400);
    expect(error.code).toBe("invalid_json");
    expect(error.message).toBe(`The secrets file is not valid JSON at ${expected}.`);
  });

  it("reports line and column in details", () => {
    const error = rejected(parse('{\n  "A": 1,\n  "B": ]\n}'));
    expect(error.details).toEqual({ line: 3, column: 8 });
  });

  it("rejects an empty file", () => {
    const error = rejected(parse("  \n"));
    expect(error.code).toBe("invalid_json");
    expect(error.message).toBe('The secrets file is empty: send a JSON object such as {"API_KEY": "value"}.');
  });

  it.each([
    ["[1, 2]", "an array"],
    ['"text"', "a string"],
    ["42", "a number"],
    ["null", "null"],
  ])("rejects the non-object root %s", (text, description) => {
    const error = rejected(parse(text));
    expect(error.code).toBe("not_an_object");
    expect(error.message).toBe(
      `The secrets file must be a JSON object of secret names and values, but it is ${description}.`,
    );
  });

  it("accepts an empty object", () => {
    expect(entriesOf(parse("{}"))).toEqual([]);
  });
});

describe("parseSecretsFile keys", () => {
  it("rejects a duplicate top-level key", () => {
    const error = rejected(parse('{"A": 1,\n "A": 2}'));
    expect(error.status).toBe(400);
    expect(error.code).toBe("duplicate_key");
    expect(error.message).toBe(
      'The secrets file has the key "A" twice in one object (A, second at line 2, column 2): keep one of them.',
    );
  });

  it("rejects a duplicate nested key", () => {
    const error = rejected(parse('{"DB": {"hosts": [{"port": 1, "port": 2}]}}'));
    expect(error.code).toBe("duplicate_key");
    expect(error.message).toBe(
      'The secrets file has the key "port" twice in one object (DB.hosts[0].port, second at line 1, column 31): keep one of them.',
    );
    expect(error.details).toEqual({ key: "port", path: "DB.hosts[0].port", line: 1, column: 31 });
  });

  it("treats escaped and plain keys as duplicates", () => {
    const error = rejected(parse('{"A": {"b": 1, "\\u0062": 2}}'));
    expect(error.code).toBe("duplicate_key");
  });

  it("allows the same key in sibling objects", () => {
    expect(entriesOf(parse('{"A": [{"id": 1}, {"id": 2}]}'))).toEqual([{ name: "A", json: '[{"id":1},{"id":2}]' }]);
  });

  it("rejects keys differing only in case", () => {
    const error = rejected(parse('{"API_KEY": "x", "OTHER": 1, "api_key": "y"}'));
    expect(error.status).toBe(400);
    expect(error.code).toBe("case_conflict");
    expect(error.message).toBe(
      'Secrets "API_KEY" and "api_key" differ only in letter case: lookups are case-sensitive, ' +
        "so such names are easy to confuse and uploads reject them: keep one of them.",
    );
    expect(error.details).toEqual({ keys: ["API_KEY", "api_key"] });
  });

  it("lists every invalid name in one error", () => {
    const long = "N".repeat(129);
    const error = rejected(parse(`{"ok": 1, "1abc": 1, "has space": 2, "": 3, "${long}": 4, "é": 5}`));
    expect(error.status).toBe(400);
    expect(error.code).toBe("invalid_name");
    expect(error.details).toEqual([
      { key: "1abc", reason: "must start with a letter or an underscore" },
      { key: "has space", reason: "may contain only letters, digits, underscores, dots and hyphens" },
      { key: "", reason: "is empty" },
      { key: long, reason: "is 129 characters long, more than the limit of 128" },
      { key: "é", reason: "must start with a letter or an underscore" },
    ]);
    expect(error.message).toBe(
      'Invalid secret names: "1abc" must start with a letter or an underscore, ' +
        '"has space" may contain only letters, digits, underscores, dots and hyphens, "" is empty, ' +
        `"${long}" is 129 characters long, more than the limit of 128, ` +
        '"é" must start with a letter or an underscore. ' +
        'A name starts with a letter or an underscore, continues with letters, digits, "_", "." or "-", ' +
        "and has at most 128 characters.",
    );
  });

  it("shortens a long list of invalid names", () => {
    const keys = Array.from({ length: 12 }, (_, i) => `"${i}x": 1`).join(", ");
    const error = rejected(parse(`{${keys}}`));
    expect(error.message).toContain('"9x" must start with a letter or an underscore and 2 more.');
    expect(error.details).toHaveLength(12);
  });

  it("stores a __proto__ key as a plain key", () => {
    expect(entriesOf(parse('{"A": {"__proto__": {"x": 1}}}'))).toEqual([{ name: "A", json: '{"__proto__":{"x":1}}' }]);
  });
});

describe("checkSecretName", () => {
  it.each(["A", "_", "api_key", "Api.Key-2", "a".repeat(128)])("accepts %s", (name) => {
    expect(checkSecretName(name)).toBeNull();
  });

  it.each([
    ["", "is empty"],
    ["9lives", "must start with a letter or an underscore"],
    [".env", "must start with a letter or an underscore"],
    ["-x", "must start with a letter or an underscore"],
    ["a/b", "may contain only letters, digits, underscores, dots and hyphens"],
    ["a\nb", "may contain only letters, digits, underscores, dots and hyphens"],
    ["a".repeat(129), "is 129 characters long, more than the limit of 128"],
  ])("rejects %j", (name, reason) => {
    expect(checkSecretName(name)).toBe(reason);
  });
});

describe("parseSecretsFile values", () => {
  it("keeps file order and every JSON type", () => {
    const entries = entriesOf(
      parse('{"S": "", "N": -1.5e3, "T": true, "F": false, "O": {"k": null}, "L": [1, "2"], "Z": 0}'),
    );
    expect(entries).toEqual([
      { name: "S", json: '""' },
      { name: "N", json: "-1500" },
      { name: "T", json: "true" },
      { name: "F", json: "false" },
      { name: "O", json: '{"k":null}' },
      { name: "L", json: '[1,"2"]' },
      { name: "Z", json: "0" },
    ]);
  });

  it("rejects null values naming the keys", () => {
    const error = rejected(parse('{"A": null, "B": 1, "C": null}'));
    expect(error.status).toBe(400);
    expect(error.code).toBe("null_value");
    expect(error.message).toBe(
      'Secrets "A", "C" are null: give each a value (an empty string is allowed) or remove the key.',
    );
  });

  it.each([
    ["9007199254740992", "9007199254740992 at BIG"],
    ["-9007199254740993", "-9007199254740993 at BIG"],
    ["1e20", "1e20 at BIG"],
    ["12345678901234567890", "12345678901234567890 at BIG"],
    ["1.5e300", "1.5e300 at BIG"],
    ['{"nested": [1, 2e16]}', "2e16 at BIG.nested[1]"],
  ])("rejects the unsafe integer %s", (literal, listed) => {
    const error = rejected(parse(`{"OK": 9007199254740991, "BIG": ${literal}}`));
    expect(error.status).toBe(400);
    expect(error.code).toBe("unsafe_integer");
    expect(error.message).toBe(`Numbers beyond 2^53 lose precision as JSON numbers: ${listed}. Write them as strings.`);
  });

  it("rejects a lone surrogate in a value", () => {
    const error = rejected(parse('{"GOOD": "ok", "A": "\\ud800xyz", "B": {"inner": ["\\udc00"]}}'));
    expect(error.status).toBe(400);
    expect(error.code).toBe("invalid_value");
    expect(error.message).toContain('"A", "B"');
    expect(error.message).toContain("lone UTF-16 surrogate");
    expect(error.details).toEqual([{ key: "A" }, { key: "B" }]);
  });

  it("accepts a surrogate pair in a value", () => {
    const result = parse('{"EMOJI": "\\ud83d\\ude00"}');
    expect(result.ok).toBe(true);
  });

  it("rejects a lone surrogate set by a script", () => {
    const result = checkSecretValue("A", "\ud800");
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.message).toContain("lone UTF-16 surrogate");
  });

  it("rejects an infinite number", () => {
    const error = rejected(parse('{"HUGE": 1e400}'));
    expect(error.code).toBe("infinite_number");
    expect(error.message).toBe("Numbers too large to represent: 1e400 at HUGE. Write them as strings.");
    expect(error.details).toEqual([{ key: "HUGE", path: "HUGE", literal: "1e400" }]);
  });

  it("accepts the largest safe integer and fractions", () => {
    expect(entriesOf(parse('{"A": 9007199254740991, "B": -9007199254740991, "C": 0.1, "D": 1e-300}'))).toEqual([
      { name: "A", json: "9007199254740991" },
      { name: "B", json: "-9007199254740991" },
      { name: "C", json: "0.1" },
      { name: "D", json: "1e-300" },
    ]);
  });

  it("accepts a value at the size limit", () => {
    const text = "x".repeat(64 * 1024 - 2);
    expect(entriesOf(parse(`{"A": "${text}"}`))).toEqual([{ name: "A", json: `"${text}"` }]);
  });

  it("rejects a value over the size limit with 413", () => {
    const error = rejected(parse(`{"SMALL": 1, "BIG": "${"x".repeat(64 * 1024 - 1)}"}`));
    expect(error.status).toBe(413);
    expect(error.code).toBe("value_too_large");
    expect(error.message).toBe(
      'The value of "BIG" (65537 bytes) is larger than the limit of 65536 bytes of JSON text: ' +
        "store large data elsewhere and keep only a key or URL as the secret.",
    );
  });

  it("measures value size in UTF-8 bytes", () => {
    // 21,846 three-byte characters plus quotes are 65,540 bytes but only 21,848 UTF-16 units.
    const error = rejected(parse(`{"WIDE": "${"東".repeat(21846)}"}`));
    expect(error.code).toBe("value_too_large");
    expect(error.details).toEqual([{ key: "WIDE", reason: "65540 bytes" }]);
  });
});

describe("parseSecretsFile limits", () => {
  it("rejects a file over 1 MiB with 413", () => {
    const error = rejected(parseSecretsFile(new Uint8Array(1024 * 1024 + 1).fill(0x20)));
    expect(error.status).toBe(413);
    expect(error.code).toBe("file_too_large");
    expect(error.message).toBe(
      "The secrets file is 1048577 bytes, more than the limit of 1048576: split it into smaller uploads.",
    );
  });

  it("accepts 1,000 keys", () => {
    const body = Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`K${i}`, i]));
    expect(entriesOf(parse(JSON.stringify(body)))).toHaveLength(1000);
  });

  it("rejects 1,001 keys with 413", () => {
    const body = Object.fromEntries(Array.from({ length: 1001 }, (_, i) => [`K${i}`, i]));
    const error = rejected(parse(JSON.stringify(body)));
    expect(error.status).toBe(413);
    expect(error.code).toBe("too_many_keys");
    expect(error.message).toBe("The secrets file has 1001 keys, more than the limit of 1000: split it into smaller uploads.");
  });

  it("accepts nesting at the depth limit", () => {
    // The root object is level 1, so 63 arrays make 64 levels.
    const text = `{"A": ${"[".repeat(63)}${"]".repeat(63)}}`;
    expect(entriesOf(parse(text))).toHaveLength(1);
  });

  it("rejects nesting beyond the depth limit", () => {
    const text = `{"A": ${"[".repeat(64)}${"]".repeat(64)}}`;
    const error = rejected(parse(text));
    expect(error.status).toBe(400);
    expect(error.code).toBe("too_deep");
    expect(error.message).toBe(
      "The secrets file nests arrays and objects more than 64 levels deep at line 1, column 70: flatten the value.",
    );
  });

  it("rejects very deep nesting without a stack overflow", () => {
    const error = rejected(parse(`{"A": ${"[".repeat(100_000)}`));
    expect(error.code).toBe("too_deep");
  });
});

describe("checkSecretValue", () => {
  it("accepts a JSON value and returns its JSON text", () => {
    expect(checkSecretValue("TOKEN", { a: [1, "x", null, true] })).toEqual({
      ok: true,
      entry: { name: "TOKEN", json: '{"a":[1,"x",null,true]}' },
    });
  });

  it("accepts an empty string", () => {
    expect(checkSecretValue("EMPTY", "")).toEqual({ ok: true, entry: { name: "EMPTY", json: '""' } });
  });

  it("rejects an invalid name", () => {
    const error = rejected(checkSecretValue("bad name", "x"));
    expect(error.code).toBe("invalid_name");
    expect(error.details).toEqual([
      { key: "bad name", reason: "may contain only letters, digits, underscores, dots and hyphens" },
    ]);
  });

  it("rejects null", () => {
    const error = rejected(checkSecretValue("A", null));
    expect(error.code).toBe("null_value");
    expect(error.message).toBe('Secret "A" is null: give each a value (an empty string is allowed) or remove the key.');
  });

  it("rejects undefined", () => {
    const error = rejected(checkSecretValue("A", undefined));
    expect(error.code).toBe("invalid_value");
    expect(error.message).toBe('Secret "A" has no value (undefined): give it a JSON value.');
  });

  it("rejects an unsafe integer with its path", () => {
    const error = rejected(checkSecretValue("A", { n: [2 ** 53] }));
    expect(error.code).toBe("unsafe_integer");
    expect(error.message).toBe(
      'Secret "A" contains the integer 9007199254740992 at A.n[0], beyond 2^53 where integers lose precision: store it as a string.',
    );
  });

  it.each([
    ["NaN", Number.NaN, "infinite_number", 'Secret "A" contains NaN at A, which JSON cannot represent.'],
    ["Infinity", Number.POSITIVE_INFINITY, "infinite_number", 'Secret "A" contains Infinity at A, which JSON cannot represent.'],
    ["a bigint", 10n, "invalid_value", 'Secret "A" contains a bigint at A, which is not a JSON value.'],
    ["a function", () => 1, "invalid_value", 'Secret "A" contains a function at A, which is not a JSON value.'],
    ["a Date", new Date(0), "invalid_value", 'Secret "A" contains an object at A that is not a plain JSON object.'],
    ["a Map", new Map(), "invalid_value", 'Secret "A" contains an object at A that is not a plain JSON object.'],
    ["a sparse array", [1, , 3], "invalid_value", 'Secret "A" has an empty slot at A[1].'],
    ["a nested undefined", { x: undefined }, "invalid_value", 'Secret "A" contains undefined at A.x, which is not a JSON value.'],
  ])("rejects %s", (_label, value, code, message) => {
    const error = rejected(checkSecretValue("A", value));
    expect(error.status).toBe(400);
    expect(error.code).toBe(code);
    expect(error.message).toBe(message);
  });

  it("rejects a cyclic value as too deep", () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    const error = rejected(checkSecretValue("A", cyclic));
    expect(error.code).toBe("too_deep");
  });

  it("rejects a value over the size limit with 413", () => {
    const error = rejected(checkSecretValue("A", "x".repeat(64 * 1024)));
    expect(error.status).toBe(413);
    expect(error.code).toBe("value_too_large");
  });
});
