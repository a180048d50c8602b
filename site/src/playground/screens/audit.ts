/**
 * The workspace's audit trail (GET /api/audit), one page at a time, filtered by secret name,
 * package, action and time. The applied filters are kept in the URL hash
 * (`#/audit?package=…&action=…`), so that a filtered view can be linked to and reloaded.
 */
import { call, type AuditEvent, type AuditPage, type PackageSummary, type Project } from "../api";
import { act, errorBox, formatTime, h, table, text } from "../dom";

/** Every action the API records, in the order the filter lists them. */
const ACTIONS = [
  "secret.created",
  "secret.updated",
  "secret.deleted",
  "secret.read",
  "package.created",
  "package.updated",
  "package.deleted",
  "project.deleted",
  "run.started",
  "run.finished",
  "token.created",
  "token.revoked",
  "auth.failed",
  "platform_key.rotated",
];

const DEFAULT_PAGE_SIZE = "50";
const FILTER_NAMES = ["secret", "package", "action", "since", "until", "order", "limit"] as const;
type Filters = Partial<Record<(typeof FILTER_NAMES)[number], string>>;

/** Formats an ISO time as the value of a datetime-local input, in the browser's time zone. */
function toLocalInput(iso: string): string | null {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return null;
  const pad = (value: number) => String(value).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}

/** Converts a datetime-local value to ISO 8601 in UTC. An unreadable value goes to the API as typed. */
function toIso(local: string): string {
  const date = new Date(local);
  return Number.isNaN(date.getTime()) ? local : date.toISOString();
}

function readFilters(query: URLSearchParams): Filters {
  const filters: Filters = {};
  for (const name of FILTER_NAMES) {
    const value = query.get(name);
    if (value !== null && value !== "") filters[name] = value;
  }
  return filters;
}

function filtersQuery(filters: Filters, cursor: string | null): string {
  const query = new URLSearchParams();
  for (const name of FILTER_NAMES) {
    const value = filters[name];
    if (value !== undefined) query.set(name, value);
  }
  if (cursor !== null) query.set("cursor", cursor);
  return query.toString();
}

function actorLabel(event: AuditEvent): string {
  const name = event.actor_name ?? event.actor_id;
  return event.actor_type === "script" ? `script of ${name}` : `${name} (${event.actor_type})`;
}

function optional(value: string | null, render: (value: string) => Node = text): Node {
  return value === null || value === "" ? text("—") : render(value);
}

function eventCells(event: AuditEvent, packageNames: Map<string, string>): Node[] {
  return [
    h("time", { datetime: event.at, title: event.at }, formatTime(event.at)),
    h("code", { class: "pg-nowrap", "data-testid": "audit-action-name" }, event.action),
    text(actorLabel(event)),
    optional(event.secret_name, (name) => h("code", { class: "pg-nowrap", "data-testid": "audit-secret-name" }, name)),
    optional(event.scope),
    optional(event.package_id, (id) => h("span", { title: id }, packageNames.get(id) ?? id)),
    optional(event.execution_id, (id) => h("a", { href: `#/execution/${encodeURIComponent(id)}` }, id)),
    h("span", { "data-testid": "audit-detail" }, event.detail ?? ""),
  ];
}

/** Lists the workspace's packages by id, for the package filter and the Package column. */
async function loadPackageNames(): Promise<Map<string, string>> {
  const names = new Map<string, string>();
  const { projects } = await call<{ projects: Project[] }>("GET", "/projects");
  for (const project of projects) {
    const { packages } = await call<{ packages: PackageSummary[] }>("GET", `/projects/${encodeURIComponent(project.id)}/packages`);
    for (const summary of packages) names.set(summary.id, `${summary.name} (${project.name})`);
  }
  return names;
}

export function auditScreen(hashQuery: URLSearchParams): HTMLElement {
  const secret = h("input", { type: "text", "data-testid": "audit-secret", placeholder: "DB_PASS", spellcheck: "false" });
  const packageSelect = h("select", { "data-testid": "audit-package" }, h("option", { value: "" }, "All packages"));
  const action = h("select", { "data-testid": "audit-action" }, h("option", { value: "" }, "All actions"), ...ACTIONS.map((name) => h("option", { value: name }, name)));
  const since = h("input", { type: "datetime-local", step: "1", "data-testid": "audit-since" });
  const until = h("input", { type: "datetime-local", step: "1", "data-testid": "audit-until" });
  const order = h("select", { "data-testid": "audit-order" }, h("option", { value: "desc" }, "Newest first"), h("option", { value: "asc" }, "Oldest first"));
  const limit = h("input", { type: "number", min: "1", max: "500", step: "1", "data-testid": "audit-limit" });
  const apply = h("button", { type: "button", class: "pg-primary", "data-testid": "audit-apply" }, "Apply filters");
  const reset = h("button", { type: "button", "data-testid": "audit-reset" }, "Clear filters");
  const applyError = errorBox("audit-error");

  const list = h("div", { "data-testid": "audit-list" });
  const pageLabel = h("span", { "data-testid": "audit-page" });
  const previous = h("button", { type: "button", "data-testid": "audit-previous" }, "Previous page");
  const next = h("button", { type: "button", "data-testid": "audit-next" }, "Next page");
  const pageError = errorBox("audit-page-error");

  let applied: Filters = {};
  /** The cursor of each page visited since the filters were applied, ending with the page shown. */
  let cursors: (string | null)[] = [null];
  let nextCursor: string | null = null;
  let packageNames = new Map<string, string>();
  const packagesLoaded = loadPackageNames()
    .then((names) => (packageNames = names))
    .catch(() => packageNames);

  function selectPackage(id: string | undefined): void {
    const options = [h("option", { value: "" }, "All packages")];
    for (const [packageId, name] of packageNames) options.push(h("option", { value: packageId }, name));
    // A package that no longer exists can still be filtered by its id.
    if (id !== undefined && !packageNames.has(id)) options.push(h("option", { value: id }, id));
    packageSelect.replaceChildren(...options);
    packageSelect.value = id ?? "";
  }

  /** Fills the inputs from filters, and returns a note for each value the inputs cannot show. */
  function showFilters(filters: Filters): string[] {
    const notes: string[] = [];
    secret.value = filters.secret ?? "";
    selectPackage(filters.package);
    if (filters.action !== undefined && !ACTIONS.includes(filters.action)) action.append(h("option", { value: filters.action }, filters.action));
    action.value = filters.action ?? "";

    for (const [name, input] of [["since", since], ["until", until]] as const) {
      const value = filters[name];
      const local = value === undefined ? "" : toLocalInput(value);
      if (local === null) notes.push(`The link's ${name}=${value} is not a time, so it was left out.`);
      input.value = local ?? "";
    }
    if (filters.order !== undefined && filters.order !== "asc" && filters.order !== "desc") {
      notes.push(`The link's order=${filters.order} is neither asc nor desc, so newest first is shown.`);
    }
    order.value = filters.order === "asc" ? "asc" : "desc";
    limit.value = filters.limit ?? DEFAULT_PAGE_SIZE;
    if (filters.limit !== undefined && limit.value === "") notes.push(`The link's limit=${filters.limit} is not a number, so it was left out.`);
    return notes;
  }

  function filtersFromInputs(): Filters {
    const filters: Filters = {};
    if (secret.value.trim() !== "") filters.secret = secret.value.trim();
    if (packageSelect.value !== "") filters.package = packageSelect.value;
    if (action.value !== "") filters.action = action.value;
    if (since.value !== "") filters.since = toIso(since.value);
    if (until.value !== "") filters.until = toIso(until.value);
    filters.order = order.value;
    // Sent as typed, so that the API's own message explains a size it does not accept.
    if (limit.value !== "") filters.limit = limit.value;
    return filters;
  }

  async function fetchPage(filters: Filters, cursor: string | null): Promise<AuditPage> {
    const query = filtersQuery(filters, cursor);
    const page = await call<AuditPage>("GET", `/audit${query === "" ? "" : `?${query}`}`);
    await packagesLoaded;
    return page;
  }

  function showPage(page: AuditPage): void {
    nextCursor = page.next_cursor;
    // act() re-enables its button when it ends, so unavailable pager buttons are hidden instead.
    previous.hidden = cursors.length < 2;
    next.hidden = nextCursor === null;
    pageLabel.textContent = `Page ${cursors.length}, ${page.events.length} record${page.events.length === 1 ? "" : "s"}`;

    if (page.events.length === 0) {
      list.replaceChildren(h("p", { "data-testid": "audit-empty" }, "No audit records match these filters."));
      return;
    }
    const view = table(["Time", "Action", "Actor", "Secret", "Scope", "Package", "Execution", "Detail"], page.events.map((event) => eventCells(event, packageNames)), "audit-table");
    view.querySelectorAll("tbody tr").forEach((row, index) => {
      const event = page.events[index];
      row.setAttribute("data-testid", "audit-row");
      row.setAttribute("data-action", event?.action ?? "");
      row.setAttribute("data-seq", String(event?.seq ?? ""));
    });
    list.replaceChildren(view);
  }

  async function applyFilters(filters: Filters): Promise<void> {
    const page = await fetchPage(filters, null);
    applied = filters;
    cursors = [null];
    showPage(page);
    const query = filtersQuery(filters, null);
    history.replaceState(null, "", `#/audit${query === "" ? "" : `?${query}`}`);
  }

  apply.addEventListener("click", () =>
    act(apply, applyError, async () => {
      const filters = filtersFromInputs();
      if (filters.since !== undefined && filters.until !== undefined && Date.parse(filters.since) >= Date.parse(filters.until)) {
        throw new Error("Since must be earlier than Until: swap the two times or clear one of them.");
      }
      await applyFilters(filters);
    }),
  );
  reset.addEventListener("click", () =>
    act(reset, applyError, async () => {
      showFilters({});
      await applyFilters(filtersFromInputs());
    }),
  );
  next.addEventListener("click", () =>
    act(next, pageError, async () => {
      if (nextCursor === null) return;
      const cursor = nextCursor;
      const page = await fetchPage(applied, cursor);
      cursors.push(cursor);
      showPage(page);
    }),
  );
  previous.addEventListener("click", () =>
    act(previous, pageError, async () => {
      if (cursors.length < 2) return;
      const page = await fetchPage(applied, cursors[cursors.length - 2] ?? null);
      cursors.pop();
      showPage(page);
    }),
  );

  const initial = readFilters(hashQuery);
  const notes = showFilters(initial);
  void act(null, applyError, async () => {
    await packagesLoaded;
    selectPackage(initial.package);
    await applyFilters(filtersFromInputs());
    if (notes.length > 0) throw new Error(notes.join(" "));
  });

  previous.hidden = true;
  next.hidden = true;
  return h(
    "section",
    { "data-testid": "screen-audit" },
    h("h2", {}, "Audit trail"),
    h("p", {}, "Every secret read and write, package and token change, run, and refused request of this workspace. Records name secrets but never contain their values."),
    h(
      "div",
      { class: "pg-panel pg-filters", "data-testid": "audit-filters" },
      h("label", {}, "Secret name ", secret),
      h("label", {}, "Package ", packageSelect),
      h("label", {}, "Action ", action),
      h("label", {}, "Since ", since),
      h("label", {}, "Until (before) ", until),
      h("label", {}, "Order ", order),
      h("label", {}, "Records per page ", limit),
      h("div", { class: "pg-row" }, apply, reset),
      applyError,
    ),
    list,
    h("div", { class: "pg-row" }, previous, pageLabel, next),
    pageError,
  );
}
