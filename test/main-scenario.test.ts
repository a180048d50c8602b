/**
 * The main scenario end to end through the edge API: upload a package with secrets.json,
 * run it, read step 1, and check that the secret values never come back. Then the lookup
 * order across the three scopes, and secrets set by scripts.
 */
import { describe, expect, it } from "vitest";
import { api, createPackage, createProject, expectJson } from "./helpers/api";

const SCRIPT = `import { get_secret, get_param } from "ferris_ef";

export default async function main() {
  console.log(\`DB NAME: \${await get_secret("DB_NAME")}\`);
  console.log(\`DB PASS: \${await get_secret("DB_PASS")}\`);
  console.log(\`PACKAGE NAME: \${get_param("package_name")}\`);
}
`;

const VALUES = ["test_db", "supersecretpas$"];

interface Step {
  status: string;
  output: { stream: string; time: string; text: string }[];
  error: { message: string } | null;
  provenance: { name: string; scope: string; action: string }[];
}

/** Calls the API and keeps every response body, so the test can search them all for values. */
function recorder() {
  const bodies: string[] = [];
  return {
    bodies,
    async call(method: string, path: string, body?: Parameters<typeof api>[2]) {
      const response = await api(method, path, body);
      const text = await response.text();
      bodies.push(text);
      return { status: response.status, text, json: () => JSON.parse(text) };
    },
  };
}

async function runAndReadStep(packageId: string, params?: object): Promise<Step> {
  const execution = await expectJson<{ id: string; status: string }>(
    await api("POST", `/packages/${packageId}/executions?wait=1`, params === undefined ? {} : { params }),
    201,
  );
  return expectJson<Step>(await api("GET", `/executions/${execution.id}/steps/1`), 200);
}

describe("main scenario", () => {
  it("masks the secrets and records their provenance", async () => {
    const { call, bodies } = recorder();

    const project = (await call("POST", "/projects", { name: `main-${crypto.randomUUID()}` })).json();
    const form = new FormData();
    form.append("name", "example");
    form.append("scripts", new File([SCRIPT], "test_secrets.js", { type: "text/javascript" }));
    form.append("secrets", new File(['{"DB_NAME": "test_db", "DB_PASS": "supersecretpas$"}'], "secrets.json"));
    const upload = await call("POST", `/projects/${project.id}/packages`, form);
    expect(upload.status, upload.text).toBe(201);
    const pkg = upload.json();

    const run = await call("POST", `/packages/${pkg.id}/executions?wait=1`, {});
    expect(run.status, run.text).toBe(201);
    const execution = run.json();
    expect(execution.status).toBe("completed");
    expect(execution.trigger).toBe("manual");

    const step = await call("GET", `/executions/${execution.id}/steps/1`);
    const result: Step = step.json();
    expect(result.status).toBe("completed");
    expect(result.output.map((line) => line.text)).toEqual(["DB NAME: ***", "DB PASS: ***", "PACKAGE NAME: example"]);
    expect(result.provenance).toEqual([
      { name: "DB_NAME", scope: "package", action: "read" },
      { name: "DB_PASS", scope: "package", action: "read" },
    ]);

    const details = await call("GET", `/packages/${pkg.id}`);
    expect(details.json().secrets.map((secret: { name: string }) => secret.name).sort()).toEqual(["DB_NAME", "DB_PASS"]);
    expect((await call("GET", `/packages/${pkg.id}/scripts/secrets.json`)).status).toBe(404);
    expect((await call("GET", `/packages/${pkg.id}/scripts/secrets.json?download=1`)).status).toBe(404);
    await call("GET", `/packages/${pkg.id}/executions`);
    await call("GET", `/executions/${execution.id}`);
    await call("GET", "/audit");

    for (const body of bodies) {
      for (const value of VALUES) expect(body).not.toContain(value);
    }
  });
});

describe("lookup order", () => {
  it("falls back scope by scope, then to null", async () => {
    const script = `import { get_secret } from "ferris_ef";
export default async function main() {
  console.log(JSON.stringify({ value: await get_secret("SHADOWED") }));
}
`;
    const project = await createProject();
    const pkg = await createPackage({
      project: project.id,
      scripts: [{ name: "lookup.js", content: script }],
      secrets: { SHADOWED: "package-value", KEEP: "keep-value" },
    });
    const platformName = `SHADOWED`;
    expect((await api("PUT", `/projects/${project.id}/secrets`, '{"SHADOWED": "project-value"}')).status).toBe(200);
    expect((await api("PUT", "/platform/secrets", '{"SHADOWED": "platform-value"}')).status).toBe(200);

    const readValue = async () => {
      const step = await runAndReadStep(pkg.id);
      expect(step.status, JSON.stringify(step.error)).toBe("completed");
      return { text: step.output[0]!.text, scope: step.provenance[0]?.scope ?? null };
    };

    // Output is masked, so the scope in the provenance shows which value the script received.
    expect(await readValue()).toEqual({ text: '{"value":"***"}', scope: "package" });

    expect((await api("PUT", `/packages/${pkg.id}/secrets`, '{"KEEP": "keep-value"}')).status).toBe(200);
    expect(await readValue()).toEqual({ text: '{"value":"***"}', scope: "project" });

    expect((await api("DELETE", `/projects/${project.id}/secrets/SHADOWED`)).status).toBe(204);
    expect(await readValue()).toEqual({ text: '{"value":"***"}', scope: "platform" });

    expect((await api("DELETE", `/platform/secrets/${platformName}`)).status).toBe(204);
    expect(await readValue()).toEqual({ text: '{"value":null}', scope: null });
  });
});

describe("secrets set by scripts", () => {
  it("shows a project secret to the next run", async () => {
    const script = `import { context } from "ferris_ef";
export default async function main() {
  const previous = await context.secrets.get("RUN_TOKEN");
  console.log(previous === null ? "first run" : "seen " + previous.length);
  await context.secrets.set("RUN_TOKEN", "token-from-run-1", "project");
}
`;
    const pkg = await createPackage({ scripts: [{ name: "setter.js", content: script }] });

    const first = await runAndReadStep(pkg.id);
    expect(first.output.map((line) => line.text)).toEqual(["first run"]);
    expect(first.provenance).toContainEqual({ name: "RUN_TOKEN", scope: "project", action: "write" });

    const second = await runAndReadStep(pkg.id);
    expect(second.output.map((line) => line.text)).toEqual(["seen 16"]);
    expect(second.provenance).toContainEqual({ name: "RUN_TOKEN", scope: "project", action: "read" });

    const names = await expectJson<{ secrets: { name: string }[] }>(await api("GET", `/projects/${pkg.project_id}/secrets`), 200);
    expect(names.secrets.map((secret) => secret.name)).toContain("RUN_TOKEN");
  });

  it("rejects a platform set when the workspace turns it off", async () => {
    const script = `import { context } from "ferris_ef";
export default async function main() {
  await context.secrets.set("FROM_SCRIPT", "platform-write-1", "platform");
}
`;
    const pkg = await createPackage({ scripts: [{ name: "platform.js", content: script }] });
    expect((await api("PATCH", "/workspace/settings", { allow_script_platform_secrets: false })).status).toBe(200);
    try {
      const step = await runAndReadStep(pkg.id);
      expect(step.status).toBe("failed");
      expect(step.error?.message).toContain("does not allow scripts to write platform secrets");
    } finally {
      expect((await api("PATCH", "/workspace/settings", { allow_script_platform_secrets: true })).status).toBe(200);
    }

    const allowed = await runAndReadStep(pkg.id);
    expect(allowed.status, JSON.stringify(allowed.error)).toBe("completed");
  });
});

describe("script arguments", () => {
  it("rejects an invalid name in get_secret", async () => {
    const script = `import { get_secret } from "ferris_ef";
export default async function main() {
  await get_secret("bad name!");
}
`;
    const pkg = await createPackage({ scripts: [{ name: "bad-name.js", content: script }] });
    const step = await runAndReadStep(pkg.id);
    expect(step.status).toBe("failed");
    expect(step.error?.message).toContain('get_secret: the name "bad name!" is invalid');
  });

  it("rejects a scope that is not a string", async () => {
    const script = `import { context } from "ferris_ef";
export default async function main() {
  await context.secrets.set("ARRAY_SCOPE", "value-1234", ["project"]);
}
`;
    const pkg = await createPackage({ scripts: [{ name: "array-scope.js", content: script }] });
    const step = await runAndReadStep(pkg.id);
    expect(step.status).toBe("failed");
    expect(step.error?.message).toContain("the scope must be a string");

    const names = await expectJson<{ secrets: { name: string }[] }>(await api("GET", `/projects/${pkg.project_id}/secrets`), 200);
    expect(names.secrets.map((secret) => secret.name)).not.toContain("ARRAY_SCOPE");
  });

  it("masks a number inside an object secret", async () => {
    const script = `import { get_secret } from "ferris_ef";
export default async function main() {
  const config = await get_secret("CFG");
  console.log("pin:", config.pin, "on:", config.on);
}
`;
    const pkg = await createPackage({
      scripts: [{ name: "pin.js", content: script }],
      secrets: { CFG: { host: "db.internal", pin: 98765432, on: true } },
    });
    const step = await runAndReadStep(pkg.id);
    expect(step.output.map((line) => line.text)).toEqual(["pin: *** on: true"]);
  });
});
