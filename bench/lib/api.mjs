// A small client for the Ferris Edge API, used by the benchmark cases. Every call goes to the
// Worker that the harness started on 127.0.0.1.

export class ApiCallError extends Error {
  constructor(method, path, status, body) {
    const detail = typeof body === "object" && body?.error ? `${body.error.code}: ${body.error.message}` : String(body).slice(0, 300);
    super(`${method} ${path} returned ${status}: ${detail}`);
    this.status = status;
    this.body = body;
  }
}

export class ApiClient {
  constructor(baseUrl, adminToken) {
    this.baseUrl = baseUrl;
    this.adminToken = adminToken;
  }

  /** Sends one request; `body` is a FormData, a string or Uint8Array (sent raw), or JSON. */
  async request(method, path, body) {
    const headers = { authorization: `Bearer ${this.adminToken}` };
    let payload;
    if (body instanceof FormData) {
      payload = body;
    } else if (typeof body === "string" || body instanceof Uint8Array) {
      headers["content-type"] = "application/json";
      payload = body;
    } else if (body !== undefined) {
      headers["content-type"] = "application/json";
      payload = JSON.stringify(body);
    }

    const response = await fetch(`${this.baseUrl}${path}`, { method, headers, body: payload });
    const text = await response.text();
    let parsed = text;
    if ((response.headers.get("content-type") ?? "").includes("application/json")) {
      parsed = JSON.parse(text);
    }
    if (!response.ok) throw new ApiCallError(method, path, response.status, parsed);
    return { status: response.status, body: parsed, headers: response.headers };
  }

  async createProject(name) {
    const { body } = await this.request("POST", "/api/projects", { name, description: "Benchmark project" });
    return body;
  }

  /**
   * Uploads a package. `scripts` is a list of { fileName, source }; `secrets` is the
   * secrets.json text or undefined.
   */
  async uploadPackage(projectId, { name, scripts, secrets, manifest }) {
    const form = new FormData();
    form.append("name", name);
    form.append("description", "Benchmark package");
    for (const script of scripts) {
      form.append("scripts", new File([script.source], script.fileName, { type: "text/javascript" }));
    }
    if (secrets !== undefined) {
      form.append("secrets", new File([secrets], "secrets.json", { type: "application/json" }));
    }
    if (manifest !== undefined) {
      form.append("manifest", new File([JSON.stringify(manifest)], "manifest.json", { type: "application/json" }));
    }
    const { body } = await this.request("POST", `/api/projects/${encodeURIComponent(projectId)}/packages`, form);
    return body;
  }

  async putPackageSecrets(packageId, secretsJson) {
    return this.request("PUT", `/api/packages/${encodeURIComponent(packageId)}/secrets`, secretsJson);
  }

  async putProjectSecrets(projectId, secretsJson) {
    return this.request("PUT", `/api/projects/${encodeURIComponent(projectId)}/secrets`, secretsJson);
  }

  async putPlatformSecrets(secretsJson) {
    return this.request("PUT", "/api/platform/secrets", secretsJson);
  }

  /** Runs a package and waits for the execution to finish; returns the execution. */
  async runAndWait(packageId, params) {
    const path = `/api/packages/${encodeURIComponent(packageId)}/executions?wait=1`;
    const { body } = await this.request("POST", path, params === undefined ? {} : { params });
    return body;
  }

  async getExecution(executionId) {
    const { body } = await this.request("GET", `/api/executions/${encodeURIComponent(executionId)}`);
    return body;
  }

  async getStep(executionId, position) {
    const { body } = await this.request("GET", `/api/executions/${encodeURIComponent(executionId)}/steps/${position}`);
    return body;
  }
}
