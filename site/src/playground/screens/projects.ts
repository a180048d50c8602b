/** Projects: the list with a create form, and one project's Secrets tab. */
import { call, type Project } from "../api";
import { act, errorBox, formatTime, h, showError, table, text } from "../dom";
import { findExample } from "../../examples";
import { secretsPanel } from "./secrets-panel";

export function projectsScreen(): HTMLElement {
  const name = h("input", { type: "text", "data-testid": "project-name", "aria-label": "Project name", required: "" });
  const description = h("input", { type: "text", "data-testid": "project-description", "aria-label": "Project description" });
  const create = h("button", { type: "button", "data-testid": "project-create" }, "Create project");
  const createError = errorBox("project-error");
  const listError = errorBox("projects-list-error");
  const list = h("div", {});

  async function refresh(): Promise<void> {
    const { projects } = await call<{ projects: Project[] }>("GET", "/projects");
    list.replaceChildren(
      table(
        ["Name", "Description", "Created"],
        projects.map((project) => [
          h("a", { href: `#/project/${encodeURIComponent(project.id)}`, "data-testid": "open-project", "data-project-id": project.id }, project.name),
          text(project.description),
          text(formatTime(project.created_at)),
        ]),
        "projects-table",
      ),
    );
  }

  create.addEventListener("click", () =>
    act(create, createError, async () => {
      const body = description.value === "" ? { name: name.value } : { name: name.value, description: description.value };
      await call("POST", "/projects", body);
      name.value = "";
      description.value = "";
      await refresh();
    }),
  );

  refresh().catch((error: unknown) => showError(listError, error));
  return h(
    "section",
    { "data-testid": "screen-projects" },
    h("h2", {}, "Projects"),
    h("div", { class: "pg-row" }, h("label", {}, "Name ", name), h("label", {}, "Description ", description), create),
    createError,
    listError,
    list,
  );
}

export function projectScreen(projectId: string, exampleId: string | null): HTMLElement {
  const title = h("h2", { "data-testid": "project-title" }, "Project");
  const loadError = errorBox("project-load-error");
  call<Project>("GET", `/projects/${encodeURIComponent(projectId)}`)
    .then((project) => (title.textContent = `Project ${project.name}`))
    .catch((error: unknown) => showError(loadError, error));

  const example = findExample(exampleId);
  return h(
    "section",
    { "data-testid": "screen-project" },
    title,
    loadError,
    h("nav", { class: "pg-tabs" }, h("button", { type: "button", class: "active", "data-testid": "tab-project-secrets" }, "Secrets")),
    secretsPanel(`/projects/${encodeURIComponent(projectId)}/secrets`, "Project", example?.projectSecrets ?? ""),
  );
}

export function vaultScreen(exampleId: string | null): HTMLElement {
  const example = findExample(exampleId);
  return h(
    "section",
    { "data-testid": "screen-vault" },
    h("h2", {}, "Vault"),
    h("p", {}, "Platform secrets are shared by every project of this workspace. A package or project secret of the same name shadows them."),
    secretsPanel("/platform/secrets", "Platform", example?.platformSecrets ?? ""),
  );
}
