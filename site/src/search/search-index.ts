/**
 * The guide's search index: its JSON shape, and the build step that extracts it from the
 * built HTML pages. The index replaces Pagefind, whose search runs WebAssembly in the browser,
 * which the site's Content-Security-Policy does not allow.
 */

/** The file that the build writes into the site's output directory, and the browser fetches. */
export const SEARCH_INDEX_FILE = "search-index.json";
export const SEARCH_INDEX_VERSION = 1;

/** One part of a page: the text before its first heading, or one heading and the text under it. */
export interface IndexedSection {
  /** The heading's id, for a `#fragment` link, or null for the text before the first heading. */
  id: string | null;
  heading: string | null;
  text: string;
}

export interface IndexedPage {
  /** The page's path, such as `/quick-start/`. */
  url: string;
  title: string;
  sections: IndexedSection[];
}

export interface SearchIndex {
  version: typeof SEARCH_INDEX_VERSION;
  pages: IndexedPage[];
}

const NAMED_ENTITIES: Record<string, string> = {
  amp: "&",
  lt: "<",
  gt: ">",
  quot: '"',
  apos: "'",
  nbsp: " ",
};

/** Decodes the character references that Astro and Starlight emit. Unknown names stay as written. */
export function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+);/gi, (reference: string, body: string) => {
    if (body[0] === "#") {
      const hex = body[1] === "x" || body[1] === "X";
      const codePoint = Number.parseInt(body.slice(hex ? 2 : 1), hex ? 16 : 10);
      return codePoint > 0 && codePoint <= 0x10ffff ? String.fromCodePoint(codePoint) : reference;
    }
    return NAMED_ENTITIES[body.toLowerCase()] ?? reference;
  });
}

/** Removes the parts of the content that are not text a reader searches for. */
function stripNonText(html: string): string {
  return (
    html
      .replace(/<!--[\s\S]*?-->/g, "")
      .replace(/<(script|style|template|svg|button)\b[\s\S]*?<\/\1>/gi, "")
      // Starlight's anchor link after each heading contains only "Section titled …" for screen readers.
      .replace(/<a\b[^>]*\bclass="sl-anchor-link"[\s\S]*?<\/a>/gi, "")
  );
}

// Elements whose text a reader sees apart from its neighbours. `small` is here because the
// overview's flow diagram shows each stage's <strong> name and <small> note as blocks.
const BLOCK_TAGS = /^(p|div|li|ul|ol|tr|td|th|table|pre|blockquote|dt|dd|dl|br|section|h[1-6]|figure|figcaption|summary|details|small)$/i;

/** Returns the text of an HTML fragment with whitespace collapsed, and breaks between blocks. */
export function textOf(html: string): string {
  const parts: string[] = [];
  for (const match of html.matchAll(/<\/?([a-z][a-z0-9-]*)\b[^>]*>|([^<]+)/gi)) {
    if (match[2] !== undefined) parts.push(decodeEntities(match[2]));
    else if (BLOCK_TAGS.test(match[1] ?? "")) parts.push(" ");
  }
  return parts.join("").replace(/\s+/g, " ").trim();
}

const HEADING = /<h([2-6])\b[^>]*\sid="([^"]*)"[^>]*>([\s\S]*?)<\/h\1>/gi;

/**
 * Extracts one page of the index from a built Starlight page: its title (the `<h1>`), and its
 * Markdown content split at every heading with an id. The sidebar, header, table of contents
 * and footer are left out. Returns null for a page without Starlight's content area.
 */
export function extractPage(html: string, url: string): IndexedPage | null {
  const titleMatch = /<h1\b[^>]*>([\s\S]*?)<\/h1>/i.exec(html);
  const start = html.search(/<div class="sl-markdown-content"/);
  if (titleMatch === null || start === -1) return null;

  let end = html.indexOf("<footer", start);
  if (end === -1) end = html.indexOf("</main>", start);
  const content = stripNonText(html.slice(start, end === -1 ? undefined : end));

  const sections: IndexedSection[] = [];
  let id: string | null = null;
  let heading: string | null = null;
  let offset = 0;
  const push = (until: number) => {
    const text = textOf(content.slice(offset, until));
    if (text !== "" || heading !== null) sections.push({ id, heading, text });
  };
  for (const match of content.matchAll(HEADING)) {
    push(match.index);
    id = decodeEntities(match[2] ?? "");
    heading = textOf(match[3] ?? "");
    offset = match.index + match[0].length;
  }
  push(content.length);

  return { url, title: textOf(titleMatch[1] ?? ""), sections };
}
