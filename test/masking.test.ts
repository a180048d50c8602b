import { describe, expect, it } from "vitest";
import { Masker } from "../worker/executor/masking";

function maskerOf(...values: Parameters<Masker["addValue"]>[0][]): Masker {
  const masker = new Masker();
  for (const value of values) masker.addValue(value);
  return masker;
}

const base64 = (text: string) => btoa(String.fromCharCode(...new TextEncoder().encode(text)));

describe("Masker", () => {
  it("masks a whole string value", () => {
    expect(maskerOf("supersecretpas$").mask("pass=supersecretpas$;")).toBe("pass=***;");
  });

  it("masks each line of a multi-line value", () => {
    const masker = maskerOf("first-line-secret\nsecond-line-secret");
    expect(masker.mask("a second-line-secret b")).toBe("a *** b");
    expect(masker.mask("first-line-secret")).toBe("***");
  });

  it("masks string leaves and the JSON text of an object", () => {
    const value = { user: "db-admin", password: "hunter22-long", nested: ["leaf-value-1"] };
    const masker = maskerOf(value);
    expect(masker.mask(JSON.stringify(value))).toBe("***");
    expect(masker.mask("u=db-admin p=hunter22-long")).toBe("u=*** p=***");
    expect(masker.mask("leaf-value-1")).toBe("***");
  });

  it("masks number leaves of an object", () => {
    const masker = maskerOf({ host: "db.internal", pin: 98765432, ratio: 0.125, on: true });
    expect(masker.mask("pin: 98765432")).toBe("pin: ***");
    expect(masker.mask("ratio 0.125")).toBe("ratio ***");
    expect(masker.containsMasked(JSON.stringify({ copy: 98765432 }))).toBe(true);
  });

  it("masks a number value", () => {
    expect(maskerOf(20261203).mask("code 20261203")).toBe("code ***");
  });

  it("never uses booleans as masks", () => {
    const masker = maskerOf(true, { flag: false, list: [true] });
    expect(masker.mask("status is true; construed as false")).toBe("status is true; construed as false");
    expect(maskerOf(true).containsMasked("true")).toBe(false);
  });

  it.each([
    ["base64", (s: string) => base64(s)],
    ["base64 without padding", (s: string) => base64(s).replace(/=+$/, "")],
    ["URL-encoded", (s: string) => encodeURIComponent(s)],
    ["JSON-escaped", (s: string) => JSON.stringify(s).slice(1, -1)],
  ])("masks the %s form", (_name, encode) => {
    const secret = 'pa ss/wörd"+\n2nd line';
    expect(maskerOf(secret).mask(`x ${encode(secret)} y`)).toBe("x *** y");
  });

  it("skips values shorter than four characters", () => {
    const masker = maskerOf("abc", "");
    expect(masker.mask("abc abcd")).toBe("abc abcd");
  });

  it("masks a number value by its text", () => {
    expect(maskerOf(123456).mask("pin 123456")).toBe("pin ***");
  });

  it("applies the longest mask first", () => {
    const masker = maskerOf("secret", "secret-extended");
    expect(masker.mask("secret-extended secret")).toBe("*** ***");
  });

  it("treats regex characters literally", () => {
    expect(maskerOf("a.b*c+d").mask("a.b*c+d aXbbbcd")).toBe("*** aXbbbcd");
  });

  it("masks a value with a lone surrogate", () => {
    const secret = "\ud800lone-surrogate-secret";
    expect(() => encodeURIComponent(secret)).toThrow(URIError);
    const masker = maskerOf(secret, { nested: [secret] });
    expect(masker.mask(`a ${secret} b`)).toBe("a *** b");
    expect(masker.mask(`a ${JSON.stringify(secret).slice(1, -1)} b`)).toBe("a *** b");
    expect(masker.mask(`a ${base64(secret)} b`)).toBe("a *** b");
    expect(masker.mask("lone-surrogate-secret")).toBe("lone-surrogate-secret");
  });

  it("keeps masking other values after a lone surrogate", () => {
    const masker = maskerOf("first\udc00value", "second-value");
    expect(masker.mask("second-value")).toBe("***");
    expect(masker.mask(encodeURIComponent("second-value/x"))).toBe("***%2Fx");
  });
});

describe("Masker.containsMasked", () => {
  const secret = 'pa ss/wörd"+\n2nd line';

  it.each([
    ["the whole value", JSON.stringify({ stash: secret })],
    ["one line", JSON.stringify(["2nd line"])],
    ["base64", JSON.stringify(base64(secret))],
    ["URL-encoded", JSON.stringify({ url: `https://x.test/?p=${encodeURIComponent(secret)}` })],
    ["JSON-escaped", JSON.stringify(JSON.stringify(secret))],
  ])("finds %s", (_name, text) => {
    expect(maskerOf(secret).containsMasked(text)).toBe(true);
  });

  it("finds a string leaf of an object value", () => {
    const masker = maskerOf({ user: "db-admin", password: "hunter22-long" });
    expect(masker.containsMasked('{"copy":"hunter22-long"}')).toBe(true);
  });

  it("returns false for text without a mask", () => {
    const masker = maskerOf(secret);
    expect(masker.containsMasked(JSON.stringify({ other: "value" }))).toBe(false);
  });

  it("ignores values shorter than four characters", () => {
    expect(maskerOf("abc").containsMasked('"abc"')).toBe(false);
  });

  it("returns false without masks", () => {
    expect(new Masker().containsMasked("anything at all")).toBe(false);
  });

  it("gives the same answer on repeated calls", () => {
    const masker = maskerOf("repeated-secret");
    expect(masker.containsMasked("x repeated-secret")).toBe(true);
    expect(masker.containsMasked("x repeated-secret")).toBe(true);
    expect(masker.mask("repeated-secret")).toBe("***");
    expect(masker.containsMasked("repeated-secret y")).toBe(true);
  });
});
