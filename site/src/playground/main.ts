/**
 * The playground: starts or resumes the visitor's session, then routes between screens by
 * the URL hash. Each screen gets an AbortSignal that ends its polling when the visitor
 * navigates away.
 */
import { call, type Project, type Session } from "./api";
import { act, byId, formatTime, showError } from "./dom";
import { auditScreen } from "./screens/audit";
import { executionScreen } from "./screens/execution";
import { packageScreen } from "./screens/package";
import { packagesScreen } from "./screens/packages";
import { projectScreen, projectsScreen, vaultScreen } from "./screens/projects";

const DEFAULT_PROJECT_NAME = "playground";

const view = byId("pg-view");
const sessionInfo = byId("pg-session");
const startError = byId("pg-start-error");
/** The example of the guide's ?example= link, which fills the Add form. */
const linkedExampleId = new URLSearchParams(location.search).get("example");
/** The example whose secrets the Projects and Vault pages fill in: the linked one, or the last one loaded. */
let secretsExampleId = linkedExampleId;
let screenController = new AbortController();

/** The nav link that each screen belongs to, by the first part of the hash. */
const NAV_SECTIONS: Record<string, string> = {
  packages: "packages",
  package: "packages",
  execution: "packages",
  projects: "projects",
  project: "projects",
  vault: "vault",
  audit: "audit",
};

function navigate(hash: string): void {
  if (location.hash === hash) render();
  else location.hash = hash;
}

function render(): void {
  screenController.abort();
  screenController = new AbortController();
  const signal = screenController.signal;
  // A hash is a path with an optional query: `#/audit?package=pkg_1`.
  const [path = "", query = ""] = location.hash.replace(/^#\/?/, "").split("?", 2);
  const parts = path.split("/").map(decodeURIComponent);

  let screen: HTMLElement;
  switch (parts[0]) {
    case "package":
      screen = packageScreen(parts[1] ?? "", parts[2] === "executions" ? "executions" : "details", signal, navigate);
      break;
    case "execution":
      screen = executionScreen(parts[1] ?? "", signal);
      break;
    case "projects":
      screen = projectsScreen();
      break;
    case "project":
      screen = projectScreen(parts[1] ?? "", secretsExampleId);
      break;
    case "vault":
      screen = vaultScreen(secretsExampleId);
      break;
    case "audit":
      screen = auditScreen(new URLSearchParams(query));
      break;
    default:
      screen = packagesScreen(linkedExampleId, { navigate, exampleLoaded: (id) => (secretsExampleId = id) });
  }

  const section = NAV_SECTIONS[parts[0] ?? ""] ?? "packages";
  for (const link of document.querySelectorAll<HTMLAnchorElement>("[data-nav]")) {
    link.classList.toggle("active", link.dataset.nav === section);
  }
  view.replaceChildren(screen);
}

function describeSession(session: Session): void {
  sessionInfo.textContent = `Workspace ${session.workspace_id}, kept until ${formatTime(session.expires_at)} unless used. Quotas: ${session.quotas.max_packages} packages, ${session.quotas.runs_per_minute} runs per minute.`;
}

/** Creates the project that new packages go into when the workspace has none. */
async function ensureDefaultProject(): Promise<void> {
  const { projects } = await call<{ projects: Project[] }>("GET", "/projects");
  if (projects.length > 0) return;
  try {
    await call("POST", "/projects", { name: DEFAULT_PROJECT_NAME, description: "Created by the playground." });
  } catch (error) {
    // Another tab may have created it first; the second list shows whether it exists now.
    const again = await call<{ projects: Project[] }>("GET", "/projects");
    if (again.projects.length === 0) throw error;
  }
}

async function start(): Promise<void> {
  describeSession(await call<Session>("POST", "/playground/session"));
  await ensureDefaultProject();
  document.body.dataset.playgroundReady = "true";
  render();
}

function setUpReset(): void {
  const reset = byId<HTMLButtonElement>("pg-reset");
  const confirmReset = byId<HTMLButtonElement>("pg-reset-confirm");
  const resetError = byId("pg-reset-error");
  reset.addEventListener("click", () => {
    confirmReset.hidden = !confirmReset.hidden;
  });
  confirmReset.addEventListener("click", () =>
    act(confirmReset, resetError, async () => {
      describeSession(await call<Session>("POST", "/playground/reset"));
      await ensureDefaultProject();
      confirmReset.hidden = true;
      navigate("#/packages");
    }),
  );
}

window.addEventListener("hashchange", render);
setUpReset();
start().catch((error: unknown) => showError(startError, error));
