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
});
