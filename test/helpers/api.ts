/**
 * Calls the edge API in tests through the Worker's own fetch handler, with the test admin
 * token, and builds the multipart bodies that package uploads take.
 */
import { exports } from "cloudflare:workers";
import { expect } from "vitest";

/** The admin token that vitest.config.ts binds as ADMIN_TOKEN. */
export const TEST_ADMIN_TOKEN = "test-admin-token";
export const TEST_ORIGIN = "http://edge.test";

// The generated Cloudflare.Exports type does not know the main module's exports, so the
// default export's fetch handler is typed here.
const worker = exports as unknown as { default: { fetch(url: string, init: RequestInit): Promise<Response> } };

/** A request body: FormData and raw bytes or text are sent as they are, anything else as JSON. */
export type ApiBody = FormData | string | Uint8Array | ArrayBuffer | object;

export interface ApiOptions {
  /** Extra request headers. An `authorization` header here replaces the admin token. */
  headers?: Record<string, string>;
  /** Send no Authorization header at all. */
  anonymous?: boolean;
}

/** Resolves `/projects` to `http://edge.test/api/projects`. A path that starts with /api is kept. */
export function apiUrl(path: string): string {
  const withPrefix = path.startsWith("/api/") || path === "/api" ? path : `/api${path}`;
  return `${TEST_ORIGIN}${withPrefix}`;
}

/** Sends one request to the Worker, as the admin unless `options` sets other headers. */
export async function api(method: string, path: string, body?: ApiBody, options: ApiOptions = {}): Promise<Response> {
  const headers = new Headers();
  if (!options.anonymous) headers.set("authorization", `Bearer ${TEST_ADMIN_TOKEN}`);

  let requestBody: BodyInit | undefined;
  if (body instanceof FormData || typeof body === "string" || body instanceof ArrayBuffer) {
    requestBody = body;
  } else if (body instanceof Uint8Array) {
    requestBody = body;
  } else if (body !== undefined) {
    requestBody = JSON.stringify(body);
    headers.set("content-type", "application/json");
  }

  for (const [name, value] of Object.entries(options.headers ?? {})) headers.set(name, value);
  return worker.default.fetch(apiUrl(path), { method, headers, body: requestBody });
}

/** Reads a JSON response body after checking its status. A failed check shows the body. */
export async function expectJson<T = any>(response: Response, status: number): Promise<T> {
  const text = await response.text();
  expect(response.status, `${response.status} ${text}`).toBe(status);
  return JSON.parse(text) as T;
}

/** The API's error body shape. */
export interface ErrorResponse {
  error: { code: string; message: string; details?: unknown };
}

/** Checks that a response is an API error with this status and code, and returns its body. */
export async function expectError(response: Response, status: number, code: string): Promise<ErrorResponse["error"]> {
  const body = await expectJson<ErrorResponse>(response, status);
  expect(body.error.code, body.error.message).toBe(code);
  return body.error;
}

let uniqueCounter = 0;

/** Returns a name that no other call in this test run returns, so tests never collide on names. */
export function uniqueName(prefix: string): string {
  uniqueCounter += 1;
  return `${prefix}-${Date.now().toString(36)}-${uniqueCounter}`;
}

export interface ProjectBody {
  id: string;
  name: string;
  description: string;
  created_at: string;
  updated_at: string;
}

/** Creates a project through the API (a unique name unless one is given) and returns it. */
export async function createProject(name = uniqueName("project"), description?: string): Promise<ProjectBody> {
  const body = description === undefined ? { name } : { name, description };
  return expectJson<ProjectBody>(await api("POST", "/projects", body), 201);
}

/** One file of an upload: its file name and its content. */
export interface UploadFile {
  name: string;
  content: string | Uint8Array;
  type?: string;
}

/** A JSON side file: an object is serialized, a string or bytes are sent exactly as given. */
export type JsonFileContent = string | Uint8Array | object;

export interface UploadPackageOptions {
  /** The project id; a new project is created when absent. */
  project?: string;
  /** The package name; a unique one when absent. Null sends no `name` field. */
  name?: string | null;
  description?: string;
  /** The `scripts` files in upload order; one trivial step when absent. */
  scripts?: UploadFile[];
  /** secrets.json content. */
  secrets?: JsonFileContent;
  /** config.json content. */
  config?: JsonFileContent;
  /** manifest.json content. */
  manifest?: JsonFileContent;
}

/** A step that does nothing but return, for tests that need any valid script. */
export const TRIVIAL_SCRIPT = 'export default async function main() {\n  return "ok";\n}\n';

function toBlob(content: string | Uint8Array, type: string): Blob {
  return new Blob([content], { type });
}

function jsonFile(content: JsonFileContent, fileName: string): File {
  const text = typeof content === "string" || content instanceof Uint8Array ? content : JSON.stringify(content);
  return new File([toBlob(text, "application/json")], fileName, { type: "application/json" });
}

/** Builds the multipart body of a package upload (POST /projects/{project}/packages). */
export function packageForm(options: Omit<UploadPackageOptions, "project">): FormData {
  const form = new FormData();
  if (options.name !== null) form.append("name", options.name ?? uniqueName("package"));
  if (options.description !== undefined) form.append("description", options.description);

  const scripts = options.scripts ?? [{ name: "main.js", content: TRIVIAL_SCRIPT }];
  for (const script of scripts) {
    const type = script.type ?? "text/javascript";
    form.append("scripts", new File([toBlob(script.content, type)], script.name, { type }));
  }

  if (options.secrets !== undefined) form.append("secrets", jsonFile(options.secrets, "secrets.json"));
  if (options.config !== undefined) form.append("config", jsonFile(options.config, "config.json"));
  if (options.manifest !== undefined) form.append("manifest", jsonFile(options.manifest, "manifest.json"));
  return form;
}

/** Builds the multipart body of a script replacement (PUT /packages/{package}/scripts). */
export function scriptsForm(scripts: UploadFile[]): FormData {
  const form = new FormData();
  for (const script of scripts) {
    const type = script.type ?? "text/javascript";
    form.append("scripts", new File([toBlob(script.content, type)], script.name, { type }));
  }
  return form;
}

/** Uploads a package and returns the raw response, creating a project when none is given. */
export async function uploadPackage(options: UploadPackageOptions = {}): Promise<Response> {
  const projectId = options.project ?? (await createProject()).id;
  return api("POST", `/projects/${projectId}/packages`, packageForm(options));
}

/** Uploads a package, expects 201 and returns the package details. */
export async function createPackage(options: UploadPackageOptions = {}): Promise<any> {
  return expectJson(await uploadPackage(options), 201);
}
