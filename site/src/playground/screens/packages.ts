/**
 * Executions → Packages: every package of the workspace, and the Add form that uploads a
 * new one (first script, more scripts, secrets.json, manifest.json, config.json), with
 * "Load example".
 */
import { call, type PackageDetails, type PackageSummary, type Project } from "../api";
import { act, errorBox, formatTime, h, magnifierIcon, showError, table, text } from "../dom";
import { EXAMPLES, findExample, type ExamplePackage } from "../../examples";

/** Puts files into a file input, as if the visitor had chosen them. */
function setFiles(input: HTMLInputElement, files: File[]): void {
  const transfer = new DataTransfer();
  for (const file of files) transfer.items.add(file);
  input.files = transfer.files;
}

/** Callbacks from the Packages screen to the page. */
export interface PackagesScreenEvents {
  navigate: (hash: string) => void;
  /** Called when an example is loaded, so that the Projects and Vault pages fill in its secrets. */
  exampleLoaded: (exampleId: string) => void;
}

/** Creates the Add form's file chooser for one optional JSON side file, such as manifest.json. */
function sideFileInput(fileName: string, testId: string): HTMLInputElement {
  return h("input", { type: "file", accept: ".json,application/json", "data-testid": testId, "aria-label": fileName });
}

function addForm(projects: Project[], exampleId: string | null, events: PackagesScreenEvents, onSaved: (details: PackageDetails) => void): HTMLElement {
  const projectSelect = h("select", { "data-testid": "add-project", "aria-label": "Project" });
  for (const project of projects) projectSelect.append(h("option", { value: project.id }, project.name));

  const name = h("input", { type: "text", "data-testid": "add-name", "aria-label": "Package name", required: "" });
  const description = h("input", { type: "text", "data-testid": "add-description", "aria-label": "Description" });
  const scripts = h("div", { class: "pg-scripts", "data-testid": "add-scripts" });
  const secrets = sideFileInput("secrets.json", "add-secrets");
  const manifest = sideFileInput("manifest.json", "add-manifest");
  const config = sideFileInput("config.json", "add-config");
  const note = h("p", { class: "pg-note", "data-testid": "example-note" });
  note.hidden = true;

  function addScriptInput(): HTMLInputElement {
    const index = scripts.children.length;
    const input = h("input", {
      type: "file",
      accept: ".js,.mjs,text/javascript",
      "data-testid": `add-script-${index}`,
      "aria-label": index === 0 ? "First script" : `Script ${index + 1}`,
    });
    scripts.append(h("label", { class: "pg-file" }, index === 0 ? "First script " : `Script ${index + 1} `, input));
    return input;
  }
  addScriptInput();

  const more = h("button", { type: "button", "data-testid": "add-more-scripts" }, "Add more scripts");
  more.addEventListener("click", () => addScriptInput());

  const exampleSelect = h("select", { id: "pg-example-select", "data-testid": "example-select" });
  for (const example of EXAMPLES) exampleSelect.append(h("option", { value: example.id }, example.id));
  const loadExample = h("button", { type: "button", "data-testid": "load-example" }, "Load example");

  function fill(example: ExamplePackage): void {
    exampleSelect.value = example.id;
    name.value = example.packageName;
    description.value = example.description;
    while (scripts.children.length < example.scripts.length) addScriptInput();
    scripts.querySelectorAll("input").forEach((input, index) => {
      const script = example.scripts[index];
      setFiles(input, script ? [new File([script.text], script.name, { type: "text/javascript" })] : []);
    });
    setFiles(secrets, example.secrets ? [new File([example.secrets.text], example.secrets.name, { type: "application/json" })] : []);
    setFiles(manifest, []);
    setFiles(config, []);
    events.exampleLoaded(example.id);

    const needs = [example.projectSecrets && "project", example.platformSecrets && "platform"].filter(Boolean);
    note.hidden = needs.length === 0;
    note.textContent = needs.length === 0 ? "" : `This example reads ${needs.join(" and ")} secrets: set them on the Projects and Vault pages (the example's values are filled in there) before you run it.`;
  }
  loadExample.addEventListener("click", () => {
    const example = findExample(exampleSelect.value);
    if (example) fill(example);
  });

  const save = h("button", { type: "button", "data-testid": "add-save" }, "Save");
  const error = errorBox("add-error");
  save.addEventListener("click", () =>
    act(save, error, async () => {
      const form = new FormData();
      form.append("name", name.value);
      if (description.value !== "") form.append("description", description.value);
      for (const input of scripts.querySelectorAll("input")) {
        for (const file of input.files ?? []) form.append("scripts", file, file.name);
      }
      // Side files go as the chosen File objects, so the API checks their raw bytes (UTF-8 included).
      for (const [field, input] of [["secrets", secrets], ["manifest", manifest], ["config", config]] as const) {
        const file = input.files?.[0];
        if (file) form.append(field, file, file.name);
      }
      const details = await call<PackageDetails>("POST", `/projects/${encodeURIComponent(projectSelect.value)}/packages`, form);
      onSaved(details);
    }),
  );

  const example = findExample(exampleId);
  if (example) fill(example);

  return h(
    "section",
    { class: "pg-panel", "data-testid": "add-form" },
    h("h3", {}, "Add package"),
    h("div", { class: "pg-row" }, h("label", { for: "pg-example-select", class: "pg-inline-label" }, "Example"), exampleSelect, loadExample),
    note,
    h("label", {}, "Project ", projectSelect),
    h("label", {}, "Name ", name),
    h("label", {}, "Description ", description),
    scripts,
    more,
    h("label", { class: "pg-file" }, "secrets.json (optional) ", secrets),
    h("label", { class: "pg-file" }, "manifest.json (optional: timeout_seconds, allowed_hosts, execution_order, entrypoint) ", manifest),
    h("label", { class: "pg-file" }, "config.json (optional, read with context.config) ", config),
    h("div", { class: "pg-row" }, save),
    error,
  );
}

export function packagesScreen(exampleId: string | null, events: PackagesScreenEvents): HTMLElement {
  const listError = errorBox("packages-list-error");
  const list = h("div", { "data-testid": "packages-list" });
  const formSlot = h("div", {});

  async function load(): Promise<void> {
    const { projects } = await call<{ projects: Project[] }>("GET", "/projects");
    formSlot.replaceChildren(addForm(projects, exampleId, events, (details) => events.navigate(`#/package/${encodeURIComponent(details.id)}`)));

    const rows: Node[][] = [];
    for (const project of projects) {
      const { packages } = await call<{ packages: PackageSummary[] }>("GET", `/projects/${encodeURIComponent(project.id)}/packages`);
      for (const summary of packages) {
        const href = `#/package/${encodeURIComponent(summary.id)}`;
        const open = h(
          "a",
          { href, class: "pg-icon", "data-testid": "open-package", "data-package-id": summary.id, title: "Details" },
          magnifierIcon(),
          h("span", { class: "pg-visually-hidden" }, `Open details of ${summary.name}`),
        );
        const name = h("a", { href, "data-testid": "package-name" }, summary.name);
        rows.push([open, name, text(project.name), text(summary.description), text(formatTime(summary.updated_at))]);
      }
    }
    list.replaceChildren(rows.length === 0 ? h("p", { "data-testid": "packages-empty" }, "No packages yet: add one below.") : table(["", "Name", "Project", "Description", "Updated"], rows, "packages-table"));
  }

  load().catch((error: unknown) => showError(listError, error));
  return h("section", { "data-testid": "screen-packages" }, h("h2", {}, "Packages"), listError, list, formSlot);
}
