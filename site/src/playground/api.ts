/**
 * The playground's calls to the edge API. Requests go to the same origin and carry the
 * session cookie; a failed call raises ApiFailure with the API's own message.
 */

/** A failed API call, carrying the error body's code and message. */
export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "ApiFailure";
  }
}

type Body = FormData | string | Blob | object | undefined;

function errorOf(status: number, text: string): ApiFailure {
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed === "object" && parsed !== null && "error" in parsed) {
      const error = (parsed as { error: { code?: unknown; message?: unknown } }).error;
      if (typeof error.message === "string") {
        return new ApiFailure(status, typeof error.code === "string" ? error.code : "error", error.message);
      }
    }
  } catch {
    // Not JSON: fall through to a generic message with the status.
  }
  return new ApiFailure(status, "http_error", `The request failed with HTTP ${status}.`);
}

/** Calls `/api{path}` and returns the parsed JSON body; raises ApiFailure for any non-2xx. */
export async function call<T>(method: string, path: string, body?: Body): Promise<T> {
  const init: RequestInit = { method, credentials: "same-origin", headers: {} };
  if (body instanceof FormData || body instanceof Blob || typeof body === "string") {
    init.body = body;
  } else if (body !== undefined) {
    init.body = JSON.stringify(body);
    (init.headers as Record<string, string>)["content-type"] = "application/json";
  }
  if (typeof body === "string") (init.headers as Record<string, string>)["content-type"] = "application/json";

  let response: Response;
  try {
    response = await fetch(`/api${path}`, init);
  } catch {
    throw new ApiFailure(0, "network_error", `Could not reach the API for ${method} /api${path}: check that the server is running.`);
  }

  const text = await response.text();
  if (!response.ok) throw errorOf(response.status, text);
  return (text === "" ? undefined : JSON.parse(text)) as T;
}

/** Calls `/api{path}` and returns the body as text, for script sources. */
export async function callText(path: string): Promise<string> {
  const response = await fetch(`/api${path}`, { credentials: "same-origin" });
  const text = await response.text();
  if (!response.ok) throw errorOf(response.status, text);
  return text;
}

export interface Project {
  id: string;
  name: string;
  description: string;
  created_at: string;
  updated_at: string;
}

export interface PackageSummary {
  id: string;
  name: string;
  description: string;
  script_count?: number;
  created_at: string;
  updated_at: string;
}

export interface ScriptInfo {
  position: number;
  file_name: string;
  size: number;
  sha256: string;
}

export interface SecretName {
  name: string;
  created_at: string;
  updated_at: string;
}

export interface PackageDetails extends PackageSummary {
  project_id: string;
  scripts: ScriptInfo[];
  secrets: SecretName[];
  timeout_seconds?: number;
  allowed_hosts?: string[];
  entrypoint?: string | null;
  active?: boolean;
  allow_manual_triggering?: boolean;
}

export type RunStatus = "pending" | "in_progress" | "completed" | "failed" | "unprocessed";

export interface StepSummary {
  position: number;
  file_name: string;
  status: RunStatus;
  started_at?: string | null;
  finished_at?: string | null;
  failure_reason?: string | null;
}

export interface Execution {
  id: string;
  package_id: string;
  package_name?: string;
  status: RunStatus;
  trigger: string;
  failure_reason?: string | null;
  created_at: string;
  started_at?: string | null;
  finished_at?: string | null;
  steps?: StepSummary[];
}

export interface OutputLine {
  stream: string;
  time: string;
  text: string;
}

export interface Provenance {
  name: string;
  scope: string;
  action: string;
}

export interface StepResult extends StepSummary {
  output: OutputLine[];
  output_truncated: boolean;
  error: { message: string; stack?: string } | null;
  provenance: Provenance[];
}

export interface Session {
  workspace_id: string;
  expires_at: string;
  quotas: { max_projects: number; max_packages: number; runs_per_minute: number; max_request_bytes: number };
}

export const isFinished = (status: RunStatus) => status === "completed" || status === "failed";

/** Formats a status in words, as the playground shows it: `in_progress` becomes "in progress". */
export function statusLabel(status: string): string {
  return status.replaceAll("_", " ");
}

/** One record of the audit trail (GET /api/audit). A record names a secret but never contains its value. */
export interface AuditEvent {
  seq: number;
  id: string;
  at: string;
  actor_type: "token" | "admin" | "session" | "script";
  actor_id: string;
  actor_name: string | null;
  action: string;
  scope: string | null;
  owner_id: string | null;
  project_id: string | null;
  package_id: string | null;
  execution_id: string | null;
  secret_name: string | null;
  request_id: string | null;
  detail: string | null;
}

export interface AuditPage {
  events: AuditEvent[];
  next_cursor: string | null;
}
