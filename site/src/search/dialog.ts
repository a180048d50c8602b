/**
 * The `<ferris-search>` element of the guide's header: a button and Ctrl+K (⌘K on Apple
 * devices) open a modal dialog that searches the JSON index built with the site. The index is
 * fetched on first use. Results are built with DOM calls and textContent, never as HTML.
 */
import { highlightRuns, queryTerms, Searcher, type PageHit } from "./query";
import { SEARCH_INDEX_VERSION, type SearchIndex } from "./search-index";

function isSearchIndex(value: unknown): value is SearchIndex {
  if (typeof value !== "object" || value === null) return false;
  const candidate = value as { version?: unknown; pages?: unknown };
  return candidate.version === SEARCH_INDEX_VERSION && Array.isArray(candidate.pages);
}

async function loadIndex(url: string): Promise<Searcher> {
  let response: Response;
  try {
    response = await fetch(url, { credentials: "same-origin" });
  } catch {
    throw new Error(`The search index ${url} could not be fetched: check the connection and search again.`);
  }
  if (!response.ok) throw new Error(`The search index ${url} failed to load with HTTP ${response.status}: reload the page to try again.`);

  const body: unknown = await response.json();
  if (!isSearchIndex(body)) throw new Error(`The search index ${url} has an unknown format: reload the page to get the current one.`);
  return new Searcher(body);
}

function element<K extends keyof HTMLElementTagNameMap>(tag: K, className: string, ...children: (Node | string)[]): HTMLElementTagNameMap[K] {
  const created = document.createElement(tag);
  created.className = className;
  created.append(...children);
  return created;
}

/** Renders text with each match of a query term in a `<mark>`, as text nodes only. */
function highlighted(text: string, terms: string[]): Node[] {
  return highlightRuns(text, terms).map((run) => (run.match ? element("mark", "", run.text) : document.createTextNode(run.text)));
}

function resultItem(hit: PageHit, terms: string[]): HTMLLIElement {
  const title = element("a", "fe-search-page", ...highlighted(hit.page.title, terms));
  title.href = hit.page.url;
  title.dataset.testid = "search-result-link";

  const sections = element("ul", "fe-search-sections");
  for (const section of hit.sections) {
    const link = element("a", "fe-search-section");
    link.href = section.url;
    if (section.section.heading !== null) link.append(element("span", "fe-search-heading", ...highlighted(section.section.heading, terms)));
    link.append(element("span", "fe-search-excerpt", ...highlighted(section.excerpt, terms)));
    sections.append(element("li", "", link));
  }

  const item = element("li", "fe-search-result", title, sections);
  item.dataset.testid = "search-result";
  item.dataset.url = hit.page.url;
  return item;
}

class FerrisSearch extends HTMLElement {
  private searcher: Promise<Searcher> | null = null;
  private dialog!: HTMLDialogElement;
  private input!: HTMLInputElement;
  private status!: HTMLElement;
  private results!: HTMLUListElement;

  connectedCallback(): void {
    const openButton = this.querySelector<HTMLButtonElement>("[data-open-search]")!;
    this.dialog = this.querySelector("dialog")!;
    this.input = this.querySelector("input")!;
    this.status = this.querySelector("[data-search-status]")!;
    this.results = this.querySelector("[data-search-results]")!;

    this.showShortcut(openButton);
    openButton.addEventListener("click", () => this.open());
    openButton.disabled = false;
    this.querySelector("[data-close-search]")!.addEventListener("click", () => this.dialog.close());

    window.addEventListener("keydown", (event) => {
      if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === "k") {
        event.preventDefault();
        if (this.dialog.open) this.dialog.close();
        else this.open();
      }
    });
    // A click on the backdrop targets the dialog itself, and a click inside targets its frame.
    this.dialog.addEventListener("click", (event) => {
      if (event.target === this.dialog) this.dialog.close();
      else if (event.target instanceof Element && event.target.closest("a") !== null) this.dialog.close();
    });
    this.dialog.addEventListener("close", () => document.documentElement.toggleAttribute("data-search-open", false));
    this.dialog.addEventListener("keydown", (event) => this.moveFocus(event));
    this.input.addEventListener("input", () => void this.update());
  }

  /** Shows ⌘K instead of Ctrl+K on Apple devices, detected with the deprecated navigator.platform. */
  private showShortcut(button: HTMLButtonElement): void {
    const shortcut = button.querySelector<HTMLElement>("kbd[data-shortcut]");
    if (shortcut === null) return;
    if (/Mac|iPhone|iPod|iPad/i.test(navigator.platform)) {
      const modifier = shortcut.querySelector("kbd");
      if (modifier !== null) modifier.textContent = "⌘";
      button.setAttribute("aria-keyshortcuts", "Meta+K");
    }
    shortcut.dataset.ready = "";
  }

  private open(): void {
    if (this.dialog.open) return;
    this.dialog.showModal();
    document.documentElement.toggleAttribute("data-search-open", true);
    this.input.focus();
    this.input.select();
    void this.update();
  }

  private async update(): Promise<void> {
    const query = this.input.value;
    if (queryTerms(query).length === 0) {
      this.results.replaceChildren();
      this.status.textContent = "";
      return;
    }

    let searcher: Searcher;
    try {
      this.searcher ??= loadIndex(this.dataset.indexUrl ?? "/search-index.json");
      searcher = await this.searcher;
    } catch (error) {
      // Forget the failed load, so that the next keystroke tries again.
      this.searcher = null;
      this.results.replaceChildren();
      this.status.textContent = error instanceof Error ? error.message : String(error);
      this.status.dataset.error = "";
      this.results.dataset.query = query;
      return;
    }
    delete this.status.dataset.error;
    // A slower, earlier call must not overwrite the results of the current text.
    if (query !== this.input.value) return;

    const terms = queryTerms(query);
    const hits = searcher.search(query);
    this.results.replaceChildren(...hits.map((hit) => resultItem(hit, terms)));
    // The query that the list shows results for, so that the browser tests can tell they are current.
    this.results.dataset.query = query;
    this.status.textContent = hits.length === 0 ? `No pages match “${query.trim()}”.` : `${hits.length} page${hits.length === 1 ? "" : "s"} found.`;
  }

  /** Moves focus between the input and the result links with the arrow keys, and opens the first link on Enter. */
  private moveFocus(event: KeyboardEvent): void {
    const links = [...this.results.querySelectorAll<HTMLAnchorElement>("a")];
    if (links.length === 0) return;
    const current = links.indexOf(document.activeElement as HTMLAnchorElement);

    if (event.key === "Enter" && document.activeElement === this.input) {
      event.preventDefault();
      links[0]!.click();
    } else if (event.key === "ArrowDown") {
      event.preventDefault();
      links[Math.min(current + 1, links.length - 1)]!.focus();
    } else if (event.key === "ArrowUp") {
      event.preventDefault();
      if (current <= 0) this.input.focus();
      else links[current - 1]!.focus();
    }
  }
}

customElements.define("ferris-search", FerrisSearch);
