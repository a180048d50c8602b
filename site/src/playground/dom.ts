/**
 * DOM helpers for the playground. Every piece of data from the API (script output, file
 * names, secret names, error messages) goes in through textContent, never as HTML.
 */
type Attributes = Record<string, string | undefined>;

/** Creates an element with attributes and children; strings become text nodes. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Attributes = {},
  ...children: (Node | string | null | undefined | false)[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value !== undefined) element.setAttribute(name, value);
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    element.append(typeof child === "string" ? document.createTextNode(child) : child);
  }
  return element;
}

const SVG_NS = "http://www.w3.org/2000/svg";

/** Creates a magnifier icon as inline SVG, which shows without an emoji font. It is hidden from assistive technology, because its link carries the text label. */
export function magnifierIcon(): SVGSVGElement {
  const svg = document.createElementNS(SVG_NS, "svg");
  for (const [name, value] of Object.entries({ viewBox: "0 0 16 16", width: "16", height: "16", "aria-hidden": "true", focusable: "false", class: "pg-icon-svg" })) {
    svg.setAttribute(name, value);
  }
  const lens = document.createElementNS(SVG_NS, "circle");
  for (const [name, value] of Object.entries({ cx: "6.5", cy: "6.5", r: "4.5", fill: "none", stroke: "currentColor", "stroke-width": "2" })) lens.setAttribute(name, value);
  const handle = document.createElementNS(SVG_NS, "path");
  for (const [name, value] of Object.entries({ d: "M10 10l4.5 4.5", stroke: "currentColor", "stroke-width": "2", "stroke-linecap": "round" })) handle.setAttribute(name, value);
  svg.append(lens, handle);
  return svg;
}

export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (element === null) throw new Error(`The playground page has no element #${id}.`);
  return element as T;
}

/** Shows an error message next to the action that caused it, or clears it with null. */
export function showError(target: HTMLElement, error: unknown): void {
  if (error === null) {
    target.textContent = "";
    target.hidden = true;
    return;
  }
  target.textContent = error instanceof Error ? error.message : String(error);
  target.hidden = false;
}

/** Runs an action for a button: disables it meanwhile, and shows any failure in `errorTarget`. */
export async function act(button: HTMLButtonElement | null, errorTarget: HTMLElement, action: () => Promise<void>): Promise<void> {
  showError(errorTarget, null);
  if (button) button.disabled = true;
  try {
    await action();
  } catch (error) {
    showError(errorTarget, error);
  } finally {
    if (button) button.disabled = false;
  }
}

export function errorBox(testId: string): HTMLParagraphElement {
  const box = h("p", { class: "pg-error", role: "alert", "data-testid": testId });
  box.hidden = true;
  return box;
}

export function formatTime(iso: string | null | undefined): string {
  if (!iso) return "—";
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString();
}

export function formatDuration(start: string | null | undefined, end: string | null | undefined): string {
  if (!start) return "—";
  const milliseconds = (end ? Date.parse(end) : Date.now()) - Date.parse(start);
  if (!Number.isFinite(milliseconds) || milliseconds < 0) return "—";
  return milliseconds < 1000 ? `${milliseconds} ms` : `${(milliseconds / 1000).toFixed(1)} s`;
}

export function table(headers: string[], rows: Node[][], testId: string): HTMLTableElement {
  return h(
    "table",
    { class: "pg-table", "data-testid": testId },
    h("thead", {}, h("tr", {}, ...headers.map((header) => h("th", {}, header)))),
    // Each cell names its column, which the narrow-screen layout shows in place of the header row.
    h("tbody", {}, ...rows.map((cells) => h("tr", {}, ...cells.map((cell, index) => h("td", { "data-label": headers[index] || undefined }, cell))))),
  );
}

export function text(value: string): Text {
  return document.createTextNode(value);
}
