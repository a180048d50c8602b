/**
 * Package details (scripts, secret names, Run) and its "List Package Executions" tab, which
 * polls until every execution has ended.
 */
import { call, callText, isFinished, statusLabel, type Execution, type PackageDetails } from "../api";
import { act, errorBox, formatDuration, formatTime, h, showError, table, text } from "../dom";
import { poll } from "../poll";

/** Formats the Progress column: completed steps of all steps, and which step runs or failed. */
export function progressOf(execution: Execution): string {
  const steps = execution.steps ?? [];
  if (steps.length === 0) return statusLabel(execution.status);

  const count = `${steps.filter((step) => step.status === "completed").length}/${steps.length} steps`;
  const running = steps.find((step) => step.status === "in_progress");
  const failed = steps.find((step) => step.status === "failed");
  if (execution.status === "completed") return count;
  if (failed) return `${count}, failed at step ${failed.position}`;
  if (execution.status === "failed") return `${count}, failed (${execution.failure_reason ?? "no reason recorded"})`;
  if (running) return `${count}, step ${running.position} running`;
  return `${count}, queued`;
}

function detailsTab(details: PackageDetails, onRun: () => void): HTMLElement {
  const source = h("pre", { class: "pg-source", "data-testid": "script-source" });
  source.hidden = true;
  const scriptError = errorBox("script-error");

  const scriptRows = details.scripts.map((script) => {
    const path = `/packages/${encodeURIComponent(details.id)}/scripts/${encodeURIComponent(script.file_name)}`;
    const view = h("button", { type: "button", "data-testid": "view-script" }, "View");
    view.addEventListener("click", () =>
      act(view, scriptError, async () => {
        source.textContent = await callText(path);
        source.hidden = false;
      }),
    );
    const download = h("a", { href: `/api${path}?download=1`, download: script.file_name, "data-testid": "download-script" }, "Download");
    return [text(String(script.position)), h("span", { "data-testid": "script-name" }, script.file_name), text(`${script.size} B`), h("code", {}, script.sha256.slice(0, 12)), h("span", { class: "pg-row" }, view, download)];
  });

  const secretItems = details.secrets.map((secret) => h("li", { "data-testid": "package-secret" }, h("code", {}, secret.name), ` updated ${formatTime(secret.updated_at)}`));

  const params = h("textarea", { rows: "3", "data-testid": "run-params", "aria-label": "Parameters as a JSON object", placeholder: '{"day": "2026-12-01"}', spellcheck: "false" });
  const run = h("button", { type: "button", class: "pg-primary", "data-testid": "run-button" }, "Run");
  const runError = errorBox("run-error");
  run.addEventListener("click", () =>
    act(run, runError, async () => {
      let body: { params?: unknown } = {};
      if (params.value.trim() !== "") {
        try {
          body = { params: JSON.parse(params.value) };
        } catch (error) {
          throw new Error(`The parameters are not valid JSON: ${(error as Error).message}`);
        }
      }
      await call("POST", `/packages/${encodeURIComponent(details.id)}/executions`, body);
      onRun();
    }),
  );

  return h(
    "div",
    { "data-testid": "package-details" },
    details.description && h("p", {}, details.description),
    h("p", {}, `Timeout per step: ${details.timeout_seconds ?? "—"} s. Allowed hosts: ${(details.allowed_hosts ?? []).join(", ") || "none"}.`),
    h("h3", {}, "Scripts"),
    table(["#", "File", "Size", "SHA-256", ""], scriptRows, "scripts-table"),
    scriptError,
    source,
    h("h3", {}, "Secrets"),
    secretItems.length === 0 ? h("p", { "data-testid": "package-secrets-empty" }, "This package has no secrets of its own.") : h("ul", { "data-testid": "package-secrets" }, ...secretItems),
    h("h3", {}, "Run"),
    h("label", {}, "Parameters (optional JSON object) ", params),
    h("div", { class: "pg-row" }, run),
    runError,
  );
}

function executionsTab(packageId: string, signal: AbortSignal): HTMLElement {
  const error = errorBox("executions-error");
  const list = h("div", {});
  // A finished execution no longer changes, so its details are read once.
  const finished = new Map<string, Execution>();

  /** Reads an execution with its steps, which the list does not carry. */
  async function detailsOf(execution: Execution): Promise<Execution> {
    const known = finished.get(execution.id);
    if (known) return known;
    const details = await call<Execution>("GET", `/executions/${encodeURIComponent(execution.id)}`);
    if (isFinished(details.status)) finished.set(details.id, details);
    return details;
  }

  /** Redraws the list. Returns whether an execution is still pending or running. */
  async function refresh(): Promise<boolean> {
    const { executions } = await call<{ executions: Execution[] }>("GET", `/packages/${encodeURIComponent(packageId)}/executions?limit=20`);
    const detailed = await Promise.all(executions.map(detailsOf));
    if (signal.aborted) return false;

    const rows = detailed.map((execution) => [
      h("a", { href: `#/execution/${encodeURIComponent(execution.id)}`, "data-testid": "open-execution" }, execution.id),
      h("span", { class: `pg-status-${execution.status}`, "data-testid": "execution-status" }, statusLabel(execution.status)),
      h("span", { "data-testid": "execution-progress" }, progressOf(execution)),
      text(formatTime(execution.created_at)),
      text(formatDuration(execution.started_at, execution.finished_at)),
    ]);
    const view = rows.length === 0 ? h("p", { "data-testid": "executions-empty" }, "No executions yet.") : table(["Execution", "Status", "Progress", "Created", "Duration"], rows, "executions-table");
    view.querySelectorAll("tbody tr").forEach((row, index) => {
      row.setAttribute("data-testid", "execution-row");
      row.setAttribute("data-status", detailed[index]?.status ?? "");
    });
    list.replaceChildren(view);
    return detailed.some((execution) => !isFinished(execution.status));
  }

  poll(refresh, { signal, errorTarget: error });
  return h("div", { "data-testid": "package-executions" }, error, list);
}

export function packageScreen(packageId: string, tab: "details" | "executions", signal: AbortSignal, navigate: (hash: string) => void): HTMLElement {
  const base = `#/package/${encodeURIComponent(packageId)}`;
  const title = h("h2", { "data-testid": "package-title" }, "Package");
  const error = errorBox("package-error");
  const body = h("div", {});

  const tabs = h(
    "nav",
    { class: "pg-tabs" },
    h("a", { href: base, class: tab === "details" ? "active" : undefined, "data-testid": "tab-details" }, "Details"),
    h("a", { href: `${base}/executions`, class: tab === "executions" ? "active" : undefined, "data-testid": "tab-executions" }, "List Package Executions"),
    h("a", { href: `#/audit?package=${encodeURIComponent(packageId)}`, "data-testid": "tab-audit" }, "Audit trail"),
  );

  if (tab === "executions") body.append(executionsTab(packageId, signal));
  call<PackageDetails>("GET", `/packages/${encodeURIComponent(packageId)}`)
    .then((details) => {
      title.textContent = `Package ${details.name}`;
      if (tab === "details") body.replaceChildren(detailsTab(details, () => navigate(`${base}/executions`)));
    })
    .catch((failure: unknown) => showError(error, failure));

  return h("section", { "data-testid": "screen-package" }, title, error, tabs, body);
}
