import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { decodeEntities, extractPage, textOf, type SearchIndex } from "../../site/src/search/search-index";
import { excerpt, highlightRuns, queryTerms, Searcher, words } from "../../site/src/search/query";

const PAGE = `<html><head><title>Ignored | Site</title></head><body>
<nav><a href="/">Sidebar link about tokens</a></nav>
<main><h1 id="_top">Tokens &amp; roles</h1>
<div class="sl-markdown-content"><p>Intro text with <code>ADMIN_TOKEN</code>.</p>
<div class="sl-heading-wrapper level-h2"><h2 id="expiry">Expiry</h2><a class="sl-anchor-link" href="#expiry"><span class="sr-only">Section titled “Expiry”</span></a></div>
<p>A token stops working at <strong>expires_at</strong>.</p><script>const hidden = "script text";</script>
<div class="sl-heading-wrapper level-h3"><h3 id="revocation">Revocation &#x27;now&#39;</h3></div>
<ul><li>First</li><li>Second</li></ul><button>Copy</button>
</div><footer>Footer text</footer></main></body></html>`;

describe("search index extraction", () => {
  it("splits a page at its headings", () => {
    const page = extractPage(PAGE, "/tokens/");
    expect(page?.url).toBe("/tokens/");
    expect(page?.title).toBe("Tokens & roles");
    expect(page?.sections).toEqual([
      { id: null, heading: null, text: "Intro text with ADMIN_TOKEN." },
      { id: "expiry", heading: "Expiry", text: "A token stops working at expires_at." },
      { id: "revocation", heading: "Revocation 'now'", text: "First Second" },
    ]);
  });

  it("leaves out navigation, scripts, buttons and the footer", () => {
    const text = JSON.stringify(extractPage(PAGE, "/tokens/"));
    for (const hidden of ["Sidebar", "script text", "Copy", "Footer", "Section titled", "Ignored"]) expect(text, hidden).not.toContain(hidden);
  });

  it("skips a page without Starlight content", () => {
    expect(extractPage("<main><h1>Playground</h1><div id='app'></div></main>", "/playground/")).toBeNull();
  });

  it.each([
    ["&amp;&lt;&gt;&quot;&apos;", "&<>\"'"],
    ["&#65;&#x42;&#X43;", "ABC"],
    ["&unknown; &#0; &#x110000;", "&unknown; &#0; &#x110000;"],
  ])("decodes %s", (input, expected) => {
    expect(decodeEntities(input)).toBe(expected);
  });

  it("separates blocks but not inline elements", () => {
    expect(textOf("<p>one</p><p>two <em>th</em>ree</p>")).toBe("one two three");
  });

  it("built index covers every guide page", () => {
    const index = JSON.parse(readFileSync("site/dist/search-index.json", "utf8")) as SearchIndex;
    expect(index.version).toBe(1);
    const security = index.pages.find((page) => page.url === "/security/");
    expect(security?.sections.map((section) => section.heading)).toContain("The audit trail");
  });
});

const INDEX: SearchIndex = {
  version: 1,
  pages: [
    { url: "/limits/", title: "Limits", sections: [{ id: null, heading: null, text: "Every limit of the platform." }] },
    {
      url: "/security/",
      title: "Security model",
      sections: [
        { id: "rate-limits", heading: "Rate limits", text: "Limits per token. Limits per address. Limits everywhere." },
        { id: "tokens", heading: "API tokens", text: "Call get_secret with a token (1+1) to rotate." },
      ],
    },
  ],
};

describe("search query", () => {
  const searcher = new Searcher(INDEX);

  it("splits words at underscores too", () => {
    expect(words("get_secret ADMIN_TOKEN")).toEqual(["get_secret", "get", "secret", "admin_token", "admin", "token"]);
    expect(queryTerms("Token token  TOKEN")).toEqual(["token"]);
  });

  it("ranks a title match first", () => {
    expect(searcher.search("limit").map((hit) => hit.page.url)).toEqual(["/limits/", "/security/"]);
  });

  it("needs every term", () => {
    expect(searcher.search("limits rotate").map((hit) => hit.page.url)).toEqual(["/security/"]);
    expect(searcher.search("limits nowhere")).toEqual([]);
    expect(searcher.search("   ")).toEqual([]);
  });

  it("matches word starts only", () => {
    expect(searcher.search("imit")).toEqual([]);
    expect(searcher.search("secret").map((hit) => hit.page.url)).toEqual(["/security/"]);
  });

  it("links sections by fragment, best first", () => {
    const [hit] = searcher.search("token");
    expect(hit?.sections.map((section) => section.url)).toEqual(["/security/#tokens", "/security/#rate-limits"]);
  });

  it("cuts long text around the first match", () => {
    const text = `${"alpha ".repeat(40)}needle ${"omega ".repeat(40)}`.trim();
    const cut = excerpt(text, ["needle"]);
    expect(cut.startsWith("… ")).toBe(true);
    expect(cut.endsWith(" …")).toBe(true);
    expect(cut).toContain("needle");
    expect(cut.length).toBeLessThan(200);
    expect(excerpt("short text", ["short"])).toBe("short text");
  });

  it("highlights terms with regex characters as text", () => {
    expect(highlightRuns("a (1+1) b", ["1"])).toEqual([
      { text: "a (", match: false },
      { text: "1", match: true },
      { text: "+", match: false },
      { text: "1", match: true },
      { text: ") b", match: false },
    ]);
    expect(highlightRuns("Token tokens", ["token"]).filter((run) => run.match).map((run) => run.text)).toEqual(["Token", "token"]);
  });
});
