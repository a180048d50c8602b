/**
 * The secrets panel of a project (Projects → a project → Secrets) and of the platform
 * (Vault → Secrets): upload JSON, list names with their times, delete one.
 */
import { call, type SecretName } from "../api";
import { act, errorBox, formatTime, h, showError, table, text } from "../dom";

/** Renders a panel for `/projects/{id}/secrets` or `/platform/secrets`. */
export function secretsPanel(basePath: string, scopeLabel: string, initialJson = ""): HTMLElement {
  const textarea = h("textarea", {
    id: "secrets-json",
    "data-testid": "secrets-json",
    rows: "6",
    spellcheck: "false",
    "aria-label": `${scopeLabel} secrets as a JSON object`,
    placeholder: '{"API_KEY": "value", "RETRIES": 3}',
  });
  textarea.value = initialJson;
  const fileInput = h("input", { type: "file", accept: ".json,application/json", "data-testid": "secrets-file", "aria-label": "Choose a JSON file" });
  const uploadButton = h("button", { type: "button", "data-testid": "secrets-upload" }, "Upload");
  const uploadError = errorBox("secrets-error");
  const status = h("p", { class: "pg-status", "data-testid": "secrets-status", role: "status" });
  const listError = errorBox("secrets-list-error");
  const list = h("div", { "data-testid": "secrets-list" });

  // A chosen file is uploaded as its raw bytes, so the API's UTF-8 check applies to it. The
  // text area shows the browser's decoding of it, which may differ (invalid bytes become U+FFFD),
  // and editing the text area discards the file and uploads the text instead.
  let chosenFile: File | null = null;
  fileInput.addEventListener("change", () => {
    chosenFile = fileInput.files?.[0] ?? null;
    status.textContent = "";
    if (chosenFile === null) return;
    const file = chosenFile;
    void file.text().then((content) => {
      if (chosenFile === file) textarea.value = content;
    });
    status.textContent = `Upload sends ${file.name} as it is (${file.size} bytes).`;
  });
  textarea.addEventListener("input", () => {
    if (chosenFile === null) return;
    chosenFile = null;
    fileInput.value = "";
    status.textContent = "";
  });

  async function refresh(): Promise<void> {
    const { secrets } = await call<{ secrets: SecretName[] }>("GET", basePath);
    const rows = secrets.map((secret) => {
      const remove = h("button", { type: "button", "data-testid": "delete-secret", "aria-label": `Delete ${secret.name}` }, "Delete");
      remove.addEventListener("click", () =>
        act(remove, listError, async () => {
          await call("DELETE", `${basePath}/${encodeURIComponent(secret.name)}`);
          status.textContent = `Deleted ${secret.name}.`;
          await refresh();
        }),
      );
      return [h("span", { "data-testid": "secret-name" }, secret.name), text(formatTime(secret.created_at)), text(formatTime(secret.updated_at)), remove];
    });
    list.replaceChildren(
      rows.length === 0 ? h("p", { "data-testid": "secrets-empty" }, `No ${scopeLabel.toLowerCase()} secrets yet.`) : table(["Name", "Created", "Updated", ""], rows, "secrets-table"),
    );
  }

  uploadButton.addEventListener("click", () =>
    act(uploadButton, uploadError, async () => {
      status.textContent = "";
      const body = chosenFile === null ? textarea.value : new Blob([chosenFile], { type: "application/json" });
      const result = await call<{ written?: number }>("PUT", basePath, body);
      status.textContent = `Saved ${result?.written ?? "the"} secret${result?.written === 1 ? "" : "s"}.`;
      await refresh();
    }),
  );

  const panel = h(
    "section",
    { class: "pg-panel", "data-testid": "secrets-panel" },
    h("h3", {}, `${scopeLabel} secrets`),
    h("p", {}, "Upload a JSON object of names and values. Existing names are updated, others are kept. Values are never shown again."),
    textarea,
    h("div", { class: "pg-row" }, fileInput, uploadButton),
    uploadError,
    status,
    listError,
    list,
  );
  refresh().catch((error: unknown) => showError(listError, error));
  return panel;
}
