/**
 * Searching the index in the browser, in plain TypeScript. A page matches when every word of
 * the query starts a word of the page (its title, a heading or its text). Pages rank by how
 * many of the query's words their title contains, then how many their headings contain, then
 * by how often the words appear. Each page lists its best-matching sections with an excerpt.
 */
import type { IndexedPage, IndexedSection, SearchIndex } from "./search-index";

/** Within a section, a match in its heading counts five times a match in its text. */
const HEADING_WEIGHT = 5;
/** Repeats of a word in one section add to its score up to this many times. */
const MAX_COUNTED_REPEATS = 5;
const MAX_SECTIONS_PER_PAGE = 3;
const EXCERPT_BEFORE = 60;
const EXCERPT_LENGTH = 180;

export interface SectionHit {
  section: IndexedSection;
  /** The page URL with the section's fragment. */
  url: string;
  excerpt: string;
}

export interface PageHit {
  page: IndexedPage;
  /** How many of the query's words the title contains. */
  titleTerms: number;
  /** How many of the query's words some heading of the page contains. */
  headingTerms: number;
  /** How often the query's words appear in headings and text, weighted. */
  score: number;
  sections: SectionHit[];
}

/** Orders hits best first. */
export function compareHits(a: PageHit, b: PageHit): number {
  return b.titleTerms - a.titleTerms || b.headingTerms - a.headingTerms || b.score - a.score || a.page.title.localeCompare(b.page.title);
}

/**
 * Splits text into lower-case words of letters, digits and underscores. A word with
 * underscores also yields its parts, so that `secret` finds `get_secret`.
 */
export function words(text: string): string[] {
  const result: string[] = [];
  for (const [word] of text.toLowerCase().matchAll(/[\p{L}\p{N}_]+/gu)) {
    result.push(word);
    if (word.includes("_")) result.push(...word.split("_").filter((part) => part !== ""));
  }
  return result;
}

/** Returns the query's distinct words, in the order typed. */
export function queryTerms(query: string): string[] {
  return [...new Set(words(query))];
}

interface PreparedSection {
  section: IndexedSection;
  headingWords: string[];
  textWords: string[];
}

interface PreparedPage {
  page: IndexedPage;
  titleWords: string[];
  sections: PreparedSection[];
}

/** A loaded index with every text split into words once, so that each keystroke only compares. */
export class Searcher {
  private readonly pages: PreparedPage[];

  constructor(index: SearchIndex) {
    this.pages = index.pages.map((page) => ({
      page,
      titleWords: words(page.title),
      sections: page.sections.map((section) => ({
        section,
        headingWords: words(section.heading ?? ""),
        textWords: words(section.text),
      })),
    }));
  }

  /** Returns the matching pages, best first. An empty query returns no pages. */
  search(query: string, maxPages = 10): PageHit[] {
    const terms = queryTerms(query);
    if (terms.length === 0) return [];

    const hits: PageHit[] = [];
    for (const prepared of this.pages) {
      const hit = matchPage(prepared, terms);
      if (hit !== null) hits.push(hit);
    }
    hits.sort(compareHits);
    return hits.slice(0, maxPages);
  }
}

/** Counts the words that start with the term, where a whole-word match counts double. */
function countMatches(pageWords: string[], term: string): number {
  let count = 0;
  for (const word of pageWords) {
    if (word === term) count += 2;
    else if (word.startsWith(term)) count += 1;
  }
  return Math.min(count, 2 * MAX_COUNTED_REPEATS);
}

function matchPage(prepared: PreparedPage, terms: string[]): PageHit | null {
  let titleTerms = 0;
  let headingTerms = 0;
  let pageScore = 0;
  const sectionScores = prepared.sections.map(() => 0);

  for (const term of terms) {
    const inTitle = countMatches(prepared.titleWords, term) > 0;
    let inHeading = false;
    let termScore = 0;
    prepared.sections.forEach((section, position) => {
      const headingScore = countMatches(section.headingWords, term) * HEADING_WEIGHT;
      const score = headingScore + countMatches(section.textWords, term);
      if (headingScore > 0) inHeading = true;
      sectionScores[position]! += score;
      termScore += score;
    });
    // Every term must appear somewhere on the page.
    if (!inTitle && termScore === 0) return null;
    if (inTitle) titleTerms += 1;
    if (inHeading) headingTerms += 1;
    pageScore += termScore;
  }

  const sections = prepared.sections
    .map((section, position) => ({ section: section.section, score: sectionScores[position]! }))
    .filter((entry) => entry.score > 0)
    .sort((a, b) => b.score - a.score)
    .slice(0, MAX_SECTIONS_PER_PAGE)
    .map(({ section }) => ({
      section,
      url: section.id === null ? prepared.page.url : `${prepared.page.url}#${encodeURIComponent(section.id)}`,
      excerpt: excerpt(section.text, terms),
    }));
  return { page: prepared.page, titleTerms, headingTerms, score: pageScore, sections };
}

/** Finds where a term first starts a word in the text, ignoring case, or returns -1. */
function firstMatch(text: string, terms: string[]): number {
  const lower = text.toLowerCase();
  let first = -1;
  for (const term of terms) {
    let from = 0;
    while (from < lower.length) {
      const at = lower.indexOf(term, from);
      if (at === -1) break;
      const before = at === 0 ? "" : lower[at - 1]!;
      if (!/[\p{L}\p{N}]/u.test(before)) {
        if (first === -1 || at < first) first = at;
        break;
      }
      from = at + 1;
    }
  }
  return first;
}

/** Returns about EXCERPT_LENGTH characters of the text around the first match, cut at spaces. */
export function excerpt(text: string, terms: string[]): string {
  if (text.length <= EXCERPT_LENGTH) return text;
  const match = Math.max(firstMatch(text, terms), 0);

  let start = Math.max(0, match - EXCERPT_BEFORE);
  if (start > 0) {
    const space = text.indexOf(" ", start);
    start = space === -1 || space >= match ? start : space + 1;
  }
  let end = Math.min(text.length, start + EXCERPT_LENGTH);
  if (end < text.length) {
    const space = text.lastIndexOf(" ", end);
    end = space > match ? space : end;
  }
  return `${start > 0 ? "… " : ""}${text.slice(start, end)}${end < text.length ? " …" : ""}`;
}

/**
 * Splits text into runs that do and do not match a term at a word start, for highlighting.
 * The caller renders each run as text, so no markup from the index reaches the page.
 */
export function highlightRuns(text: string, terms: string[]): { text: string; match: boolean }[] {
  if (terms.length === 0) return [{ text, match: false }];
  const escaped = [...terms].sort((a, b) => b.length - a.length).map((term) => term.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
  const pattern = new RegExp(`(?<![\\p{L}\\p{N}])(?:${escaped.join("|")})`, "giu");

  const runs: { text: string; match: boolean }[] = [];
  let last = 0;
  for (const found of text.matchAll(pattern)) {
    if (found.index > last) runs.push({ text: text.slice(last, found.index), match: false });
    runs.push({ text: found[0], match: true });
    last = found.index + found[0].length;
  }
  if (last < text.length) runs.push({ text: text.slice(last), match: false });
  return runs;
}
