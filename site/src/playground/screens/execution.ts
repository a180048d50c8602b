/**
 * Execution details: status, trigger and times, the "List Steps" tab, and each step's
 * results (masked output, error, provenance).
 */
import { call, isFinished, statusLabel, type Execution, type StepResult, type StepSummary } from "../api";
import { act, errorBox, formatDuration, formatTime, h, table, text } from "../dom";
import { poll } from "../poll";

/** Formats a step's error for its box: the message first, then the stack when the sandbox recorded one. */
export function errorText(error: { message: string; stack?: string }): string {
  const stack = error.stack?.trim() ?? "";
  if (stack === "" || stack === error.message.trim()) return error.message;
  // A V8 stack may begin with the message itself, so the message is not repeated.
  return stack.startsWith(error.message) ? stack : `${error.message}\n${error.stack}`;
}

function outputView(step: StepResult, lines: Node[][]): HTMLElement {
  if (lines.length > 0) return table(["Stream", "Time", "Text"], lines, "step-output");
  if (step.status === "unprocessed") return h("p", { "data-testid": "step-not-run" }, "This step did not run, because an earlier step failed.");
  if (step.status === "pending") return h("p", { "data-testid": "step-not-run" }, "This step has not started yet.");
  return h("p", {}, "No output.");
}

function resultsView(step: StepResult): HTMLElement {
  const lines = step.output.map((line) => [h("span", { "data-testid": "output-stream" }, line.stream), text(formatTime(line.time)), h("code", { "data-testid": "output-text" }, line.text)]);
  const provenance = step.provenance.map((entry) => [h("code", { "data-testid": "provenance-name" }, entry.name), h("span", { "data-testid": "provenance-scope" }, entry.scope), h("span", { "data-testid": "provenance-action" }, entry.action)]);

  return h(
    "div",
    { class: "pg-panel", "data-testid": `step-results-${step.position}` },
    h("h4", {}, `Step ${step.position}: ${step.file_name}`),
    step.failure_reason ? h("p", {}, `Failure reason: ${step.failure_reason}`) : null,
    h("h5", {}, "Output"),
    outputView(step, lines),
    step.output_truncated ? h("p", { "data-testid": "output-truncated" }, "The output was cut at the step output limit.") : null,
    step.error ? h("div", { "data-testid": "step-error" }, h("h5", {}, "Error"), h("pre", { class: "pg-source pg-error-text" }, errorText(step.error))) : null,
    h("h5", {}, "Provenance"),
    provenance.length === 0 ? h("p", {}, "The step read and wrote no secrets.") : table(["Secret", "Scope", "Action"], provenance, "step-provenance"),
  );
}

function stepsView(executionId: string, steps: StepSummary[]): HTMLElement {
  const error = errorBox("step-results-error");
  const results = h("div", { "data-testid": "step-results" });
  const rows = steps.map((step) => {
    const show = h("button", { type: "button", "data-testid": "show-results", "data-position": String(step.position) }, "Show Results");
    show.addEventListener("click", () =>
      act(show, error, async () => {
        const result = await call<StepResult>("GET", `/executions/${encodeURIComponent(executionId)}/steps/${step.position}`);
        results.replaceChildren(resultsView(result));
      }),
    );
    return [text(String(step.position)), h("span", { "data-testid": "step-file" }, step.file_name), h("span", { class: `pg-status-${step.status}`, "data-testid": "step-status", "data-status": step.status }, statusLabel(step.status)), text(formatDuration(step.started_at, step.finished_at)), show];
  });
  return h("div", {}, table(["#", "File", "Status", "Duration", ""], rows, "steps-table"), error, results);
}

export function executionScreen(executionId: string, signal: AbortSignal): HTMLElement {
  const error = errorBox("execution-error");
  const summary = h("dl", { class: "pg-summary", "data-testid": "execution-summary" });
  const stepsSlot = h("div", {});
  const listSteps = h("button", { type: "button", "data-testid": "tab-steps" }, "List Steps");
  // The link goes to the package list until the execution is read, then to this package's runs.
  const back = h("a", { href: "#/packages", "data-testid": "execution-back" }, "← Packages");
  let latest: Execution | null = null;
  let stepsOpen = false;
  let renderedSteps = "";

  function field(label: string, value: string, testId: string): Node[] {
    return [h("dt", {}, label), h("dd", { "data-testid": testId }, value)];
  }

  /** Reads the execution and redraws it. Returns whether it is still running. */
  async function refresh(): Promise<boolean> {
    const execution = await call<Execution>("GET", `/executions/${encodeURIComponent(executionId)}`);
    if (signal.aborted) return false;
    latest = execution;
    back.href = `#/package/${encodeURIComponent(execution.package_id)}/executions`;
    back.textContent = `← Executions of ${execution.package_name ?? execution.package_id}`;
    summary.replaceChildren(
      ...field("Status", statusLabel(execution.status), "execution-status-detail"),
      ...field("Package", execution.package_name ?? execution.package_id, "execution-package"),
      ...field("Trigger", execution.trigger, "execution-trigger"),
      ...field("Created", formatTime(execution.created_at), "execution-created"),
      ...field("Started", formatTime(execution.started_at), "execution-started"),
      ...field("Finished", formatTime(execution.finished_at), "execution-finished"),
      ...field("Duration", formatDuration(execution.started_at, execution.finished_at), "execution-duration"),
      ...(execution.failure_reason ? field("Failure reason", execution.failure_reason, "execution-failure") : []),
    );
    // Steps are drawn again only when one changed status, so open results stay open.
    const signature = JSON.stringify((execution.steps ?? []).map((step) => step.status));
    if (stepsOpen && signature !== renderedSteps) {
      renderedSteps = signature;
      stepsSlot.replaceChildren(stepsView(executionId, execution.steps ?? []));
    }
    return !isFinished(execution.status);
  }

  listSteps.addEventListener("click", () => {
    stepsOpen = true;
    listSteps.classList.add("active");
    renderedSteps = JSON.stringify((latest?.steps ?? []).map((step) => step.status));
    stepsSlot.replaceChildren(stepsView(executionId, latest?.steps ?? []));
  });

  poll(refresh, { signal, errorTarget: error });
  return h("section", { "data-testid": "screen-execution" }, back, h("h2", {}, `Execution ${executionId}`), error, summary, h("nav", { class: "pg-tabs" }, listSteps), stepsSlot);
}
