import { existsSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import * as limits from "../../worker/limits";
import { docComments, formatLimit, limitRows } from "../../site/src/lib/limits";

// The global setup has built site/dist from the current sources before this file runs.
const limitsPage = readFileSync("site/dist/limits/index.html", "utf8");
const limitsSource = readFileSync("worker/limits.ts", "utf8");

describe("formatLimit", () => {
  it.each([
    ["MAX_SCRIPT_BYTES", 1024 * 1024, "1 MiB"],
    ["MAX_SECRET_VALUE_BYTES", 64 * 1024, "64 KiB"],
    ["ODD_BYTES", 1500, "1500 bytes"],
    ["DEFAULT_STEP_TIMEOUT_MS", 30_000, "30 s"],
    ["MAX_STEP_TIMEOUT_MS", 300_000, "5 min"],
    ["PLAYGROUND_SESSION_IDLE_MS", 86_400_000, "24 h"],
    ["SHORT_MS", 250, "250 ms"],
    ["MAX_SECRETS_PER_FILE", 1000, "1,000"],
  ])("formats %s = %d as %s", (name, value, expected) => {
    expect(formatLimit(name, value)).toBe(expected);
  });
});

describe("docComments", () => {
  it("takes the comment above each constant", () => {
    const source = "/** First line\n * second line. */\nexport const A = 1;\nexport const B = 2;\n";
    const comments = docComments(source);
    expect(comments.get("A")).toBe("First line second line.");
    expect(comments.has("B")).toBe(false);
  });

  it("skips a file header and code above a constant", () => {
    const source = "/**\n * Header.\n */\nconst KiB = 1024;\n/** The body, in bytes. */\nexport const A = KiB;\n";
    expect(docComments(source).get("A")).toBe("The body, in bytes.");
  });
});

describe("limitRows", () => {
  it("rejects a constant without a doc comment", () => {
    expect(() => limitRows({ A: 1 }, "export const A = 1;\n")).toThrow(/A has no doc comment/);
  });

  // Each description states its unit in words; the Value column formats the number.
  const unitWords: [RegExp, string][] = [
    [/_BYTES$/, "bytes"],
    [/_MS$/, "milliseconds"],
    [/_LENGTH$/, "characters"],
  ];
  it.each(limitRows(limits, limitsSource).map((row) => [row.name, row.description] as const))("describes %s", (name, description) => {
    expect(description).not.toMatch(/\bconst\b|\/\*|\*\/|=/);
    expect(description.length).toBeGreaterThan(name.length / 2 + 10);
    for (const [suffix, word] of unitWords) {
      if (suffix.test(name)) expect(description).toContain(word);
    }
  });
});

describe("Limits page", () => {
  const numeric = Object.entries(limits).filter((entry): entry is [string, number] => typeof entry[1] === "number");

  it("shows no source code in a row", () => {
    expect(limitsPage).not.toContain("const KiB");
    expect(limitsPage).not.toContain("Every limit of the product");
  });

  it("lists every numeric limit", () => {
    expect(numeric.length).toBeGreaterThan(10);
    for (const [name, value] of numeric) {
      expect(limitsPage, name).toContain(`<td><code>${name}</code></td><td>${formatLimit(name, value)}</td>`);
    }
  });
});

describe("guide pages", () => {
  it.each(["quick-start", "packages", "secrets"])("%s links an example to the playground", (page) => {
    const html = readFileSync(`site/dist/${page}/index.html`, "utf8");
    expect(html).toMatch(/href="\/playground\/\?example=[a-z_]+"/);
  });

  it("quick start follows PORT as the README does", () => {
    const html = readFileSync("site/dist/quick-start/index.html", "utf8");
    expect(html).toContain("${PORT:-8787}");
    expect(html).not.toContain("API=http://localhost:8787/api");
  });

  it("packages page documents step failure reasons", () => {
    const html = readFileSync("site/dist/packages/index.html", "utf8");
    for (const reason of ["error", "timeout", "integrity", "interrupted", "step_failed"]) expect(html, reason).toContain(`<code dir="auto">${reason}</code>`);
    expect(html).toContain("replaced by the built-in value");
  });

  it("overview shows the flow diagram", () => {
    const html = readFileSync("site/dist/index.html", "utf8");
    for (const stage of ["Upload", "Encrypted storage", "Run event", "Executor", "Sandbox", "Masked results"]) {
      expect(html, stage).toContain(`<strong>${stage}</strong>`);
    }
  });

  it("search index covers every guide page", () => {
    const index = JSON.parse(readFileSync("site/dist/search-index.json", "utf8")) as { pages: { url: string; title: string }[] };
    const urls = index.pages.map((page) => page.url);
    for (const page of ["/", "/quick-start/", "/security/", "/api-reference/", "/limits/"]) expect(urls, page).toContain(page);
    expect(urls).not.toContain("/playground/");
    expect(index.pages.find((page) => page.url === "/security/")?.title).toBe("Security model");
  });

  it("ships no Pagefind files", () => {
    expect(existsSync("site/dist/pagefind")).toBe(false);
  });
});
