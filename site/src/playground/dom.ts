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
    h("tbody", {}, ...rows.map((cells) => h("tr", {}, ...cells.map((cell) => h("td", {}, cell))))),
  );
}

export function text(value: string): Text {
  return document.createTextNode(value);
}
