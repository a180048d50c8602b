import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { MAX_CONFIG_BYTES, MAX_SCRIPT_BYTES, MAX_SCRIPTS_PER_PACKAGE } from "../worker/limits";
import {
  api,
  createPackage,
  createProject,
  expectError,
  packageForm,
  TRIVIAL_SCRIPT,
  uniqueName,
  uploadPackage,
  type UploadPackageOptions,
} from "./helpers/api";

async function uploadError(options: UploadPackageOptions, status: number, code: string) {
  return expectError(await uploadPackage(options), status, code);
}

async function packageCount(projectId: string): Promise<number> {
  const row = await env.DB.prepare("SELECT COUNT(*) AS count FROM packages WHERE project_id = ?").bind(projectId).first<{ count: number }>();
  return row!.count;
}

const script = (name: string, content = TRIVIAL_SCRIPT) => ({ name, content });

describe("package upload", () => {
  it("stores a package with its scripts, secrets and defaults", async () => {
    const project = await createProject();
    const details = await createPackage({
      project: project.id,
      name: "example",
      description: "Reads two secrets",
      scripts: [script("b.js"), script("a.mjs")],
      secrets: { DB_NAME: "test_db", DB_PASS: "supersecretpas$" },
    });

    expect(details.id).toMatch(/^pkg_[0-9a-f]{24}$/);
    expect(details.name).toBe("example");
    expect(details.description).toBe("Reads two secrets");
    expect(details.project_id).toBe(project.id);
    expect(details.scripts.map((s: { file_name: string }) => s.file_name)).toEqual(["b.js", "a.mjs"]);
    expect(details.scripts.map((s: { position: number }) => s.position)).toEqual([1, 2]);
    expect(details.secrets.map((s: { name: string }) => s.name)).toEqual(["DB_NAME", "DB_PASS"]);
    expect(details.config).toEqual({});
    expect(details.entrypoint).toBeNull();
    expect(details.allow_manual_triggering).toBe(true);
    expect(details.active).toBe(true);
    expect(details.timeout_seconds).toBe(30);
    expect(details.allowed_hosts).toEqual([]);
    expect(JSON.stringify(details)).not.toContain("supersecretpas$");
    expect(JSON.stringify(details)).not.toContain("test_db");
  });

  it("records size and sha256 of each script", async () => {
    const source = "export default function main() {\n  return 'é';\n}\n";
    const details = await createPackage({ scripts: [script("main.js", source)] });
    const bytes = new TextEncoder().encode(source);
    const digest = [...new Uint8Array(await crypto.subtle.digest("SHA-256", bytes))].map((b) => b.toString(16).padStart(2, "0")).join("");

    expect(details.scripts[0].size).toBe(bytes.byteLength);
    expect(details.scripts[0].sha256).toBe(digest);
  });

  it("applies manifest settings and execution order", async () => {
    const details = await createPackage({
      scripts: [script("first.js"), script("second.js"), script("third.js")],
      manifest: {
        description: "From the manifest",
        execution_order: ["third.js", "first.js", "second.js"],
        entrypoint: "first.js",
        allow_manual_triggering: false,
        active: false,
        timeout_seconds: 120,
        allowed_hosts: ["api.example.com", "example.org"],
      },
      config: { region: "eu", retries: 3, nested: { on: true } },
    });

    expect(details.scripts.map((s: { file_name: string }) => s.file_name)).toEqual(["third.js", "first.js", "second.js"]);
    expect(details.description).toBe("From the manifest");
    expect(details.entrypoint).toBe("first.js");
    expect(details.allow_manual_triggering).toBe(false);
    expect(details.active).toBe(false);
    expect(details.timeout_seconds).toBe(120);
    expect(details.allowed_hosts).toEqual(["api.example.com", "example.org"]);
    expect(details.config).toEqual({ region: "eu", retries: 3, nested: { on: true } });

    const row = await env.DB.prepare("SELECT timeout_ms FROM packages WHERE id = ?").bind(details.id).first<{ timeout_ms: number }>();
    expect(row!.timeout_ms).toBe(120_000);
  });

  it("lowercases hosts and keeps ports", async () => {
    const details = await createPackage({ manifest: { allowed_hosts: ["API.Example.com", "example.org:8443", "127.0.0.1:8830"] } });
    expect(details.allowed_hosts).toEqual(["api.example.com", "example.org:8443", "127.0.0.1:8830"]);
  });

  it("form description wins over the manifest", async () => {
    const details = await createPackage({ description: "From the form", manifest: { description: "From the manifest" } });
    expect(details.description).toBe("From the form");
  });

  it("rejects a Python script saying steps are JavaScript", async () => {
    const error = await uploadError({ scripts: [script("main.py", "print('hi')")] }, 400, "unsupported_script_type");
    expect(error.message).toBe(
      "main.py is a Python file, but steps are JavaScript modules (ES modules with a default-exported function). " +
        "Rewrite it as a .js or .mjs file.",
    );
  });

  it.each(["main.ts", "main.cjs", "README", "main.js.txt"])("rejects extension of %s", async (name) => {
    const error = await uploadError({ scripts: [script(name)] }, 400, "unsupported_script_type");
    expect(error.message).toContain(`${name} is not a script`);
    expect(error.message).toContain(".js or .mjs");
  });

  it.each(["secrets.json", "config.json", "manifest.json"])("rejects %s sent as a script", async (name) => {
    const field = name.replace(".json", "");
    const error = await uploadError({ scripts: [script(name, "{}")] }, 400, "misplaced_file");
    expect(error.message).toBe(`${name} was sent as a script: upload it in the form field ${field}, not in scripts.`);
  });

  it("rejects a file name reserved for the sandbox", async () => {
    const error = await uploadError({ scripts: [script("__ferris_runner.js")] }, 400, "invalid_file_name");
    expect(error.message).toBe(
      'The script file name "__ferris_runner.js" is reserved, because names starting with __ferris belong to the sandbox: rename the file.',
    );
  });

  it.each(["../evil.js", "dir/main.js", "-dash.js", "spa ce.js", "ünï.js"])("rejects file name %s", async (name) => {
    const error = await uploadError({ scripts: [script(name)] }, 400, "invalid_file_name");
    expect(error.message).toContain(JSON.stringify(name));
  });

  it("rejects duplicate script names", async () => {
    const error = await uploadError({ scripts: [script("main.js"), script("main.js")] }, 400, "duplicate_file_name");
    expect(error.message).toBe('The script "main.js" was uploaded twice: give each script a distinct file name.');
  });

  it("rejects names differing only in case", async () => {
    const error = await uploadError({ scripts: [script("Main.js"), script("main.js")] }, 400, "duplicate_file_name");
    expect(error.message).toContain('"Main.js" and "main.js"');
  });

  it("rejects a script over the size limit", async () => {
    const big = `export default function main() {}\n//${"x".repeat(MAX_SCRIPT_BYTES)}`;
    const error = await uploadError({ scripts: [script("big.js", big)] }, 413, "file_too_large");
    expect(error.message).toContain(`big.js is ${new TextEncoder().encode(big).byteLength} bytes, over the limit of ${MAX_SCRIPT_BYTES} bytes`);
  });

  it("accepts a script at the size limit", async () => {
    const head = "export default function main() {}\n//";
    const exact = head + "x".repeat(MAX_SCRIPT_BYTES - head.length);
    const details = await createPackage({ scripts: [script("exact.js", exact)] });
    expect(details.scripts[0].size).toBe(MAX_SCRIPT_BYTES);
  });

  it("rejects too many scripts", async () => {
    const scripts = Array.from({ length: MAX_SCRIPTS_PER_PACKAGE + 1 }, (_, i) => script(`s${i}.js`));
    const error = await uploadError({ scripts }, 413, "too_many_scripts");
    expect(error.message).toContain(`${MAX_SCRIPTS_PER_PACKAGE + 1} scripts were uploaded`);
  });

  it("accepts the maximum number of scripts", async () => {
    const scripts = Array.from({ length: MAX_SCRIPTS_PER_PACKAGE }, (_, i) => script(`s${i}.js`));
    const details = await createPackage({ scripts });
    expect(details.scripts).toHaveLength(MAX_SCRIPTS_PER_PACKAGE);
    expect(details.scripts[MAX_SCRIPTS_PER_PACKAGE - 1].file_name).toBe(`s${MAX_SCRIPTS_PER_PACKAGE - 1}.js`);
  });

  it("rejects a script that is not UTF-8", async () => {
    const latin1 = new Uint8Array([...new TextEncoder().encode("export default function main() { return '"), 0xe9, 0x27, 0x3b, 0x7d]);
    const error = await uploadError({ scripts: [{ name: "latin.js", content: latin1 }] }, 400, "invalid_encoding");
    expect(error.message).toBe("latin.js is not valid UTF-8: save it as UTF-8 and upload it again.");
  });

  it("rejects a script without a default export showing the shape", async () => {
    const error = await uploadError({ scripts: [script("lib.js", "export const x = 1;")] }, 400, "missing_default_export");
    expect(error.message).toContain("lib.js does not default-export a function");
    expect(error.message).toContain('import { get_secret, get_param } from "ferris_ef";\nexport default async function main() { ... }');
  });

  it("rejects a bad import naming the specifier", async () => {
    const source = 'import axios from "axios";\nexport default async function main() {}';
    const error = await uploadError({ scripts: [script("net.js", source)] }, 400, "import_not_allowed");
    expect(error.message).toContain('net.js line 1, column 1: the import of "axios" is not allowed');
  });

  it("rejects a syntax error with line and column", async () => {
    const source = "export default async function main() {\n  return (;\n}";
    const error = await uploadError({ scripts: [script("oops.js", source)] }, 400, "invalid_script_syntax");
    expect(error.message).toContain("oops.js line 2, column 11: syntax error");
    expect(error.details).toMatchObject({ file: "oops.js", line: 2, column: 11 });
  });

  it("rejects a reserved identifier", async () => {
    const source = "export default function main() { const __ferrisGuard = 1; return __ferrisGuard; }";
    const error = await uploadError({ scripts: [script("guard.js", source)] }, 400, "reserved_identifier");
    expect(error.message).toContain("__ferrisGuard is reserved");
  });

  it("rejects a missing name", async () => {
    const error = await uploadError({ name: null }, 400, "missing_field");
    expect(error.message).toBe("The form field name is missing: add it.");
  });

  it("rejects a name over 100 characters", async () => {
    const error = await uploadError({ name: "n".repeat(101) }, 400, "invalid_field");
    expect(error.message).toBe("The form field name is 101 characters long; the maximum is 100.");
  });

  it("rejects a name with a line break", async () => {
    const error = await uploadError({ name: "two\nlines" }, 400, "invalid_field");
    expect(error.message).toBe("The form field name contains a control character such as a line break: remove it.");
  });

  it("rejects a missing scripts field", async () => {
    const error = await uploadError({ scripts: [] }, 400, "missing_field");
    expect(error.message).toBe("The form field scripts is missing: upload at least one .js or .mjs file.");
  });

  it("rejects a duplicate package name in a project", async () => {
    const project = await createProject();
    await createPackage({ project: project.id, name: "dup" });
    const error = await uploadError({ project: project.id, name: "dup" }, 409, "name_taken");
    expect(error.message).toBe('A package named "dup" already exists in this project: choose another name.');
  });

  it("allows one package name in two projects", async () => {
    const name = uniqueName("shared");
    await createPackage({ name });
    const other = await createPackage({ name });
    expect(other.name).toBe(name);
  });

  it("rejects an unknown form field", async () => {
    const project = await createProject();
    const form = packageForm({});
    form.append("readme", "hello");
    const error = await expectError(await api("POST", `/projects/${project.id}/packages`, form), 400, "unknown_field");
    expect(error.message).toContain('Unknown form field "readme"');
  });

  it("rejects a JSON body with 415", async () => {
    const project = await createProject();
    const error = await expectError(await api("POST", `/projects/${project.id}/packages`, { name: "x" }), 415, "unsupported_media_type");
    expect(error.message).toContain("multipart/form-data");
  });

  it("rejects an upload into an unknown project", async () => {
    await uploadError({ project: "prj_000000000000000000000000" }, 404, "not_found");
  });

  describe("manifest.json", () => {
    it("rejects unknown keys naming them", async () => {
      const error = await uploadError({ manifest: { timeout: 10, entry: "main.js" } }, 400, "unknown_manifest_key");
      expect(error.message).toContain("timeout is not a manifest key");
      expect(error.message).toContain("entry is not a manifest key");
      expect(error.message).toContain("the keys are description, execution_order, entrypoint");
    });

    it.each([
      ["timeout of 0", { timeout_seconds: 0 }, "timeout_seconds must be a whole number of seconds from 1 to 300, not 0"],
      ["timeout of 301", { timeout_seconds: 301 }, "timeout_seconds must be a whole number of seconds from 1 to 300, not 301"],
      ["fractional timeout", { timeout_seconds: 1.5 }, "not 1.5"],
      ["string timeout", { timeout_seconds: "30" }, 'not "30"'],
      ["non-boolean active", { active: "yes" }, 'active must be true or false, not "yes"'],
      ["non-boolean triggering", { allow_manual_triggering: 1 }, "allow_manual_triggering must be true or false, not 1"],
      ["unknown entrypoint", { entrypoint: "other.js" }, 'entrypoint names "other.js", which is not one of the scripts (main.js)'],
      ["unknown script in order", { execution_order: ["main.js", "ghost.js"] }, 'names "ghost.js", which is not one of the scripts'],
      ["duplicate in order", { execution_order: ["main.js", "main.js"] }, 'names "main.js" twice'],
      ["order that is not an array", { execution_order: "main.js" }, "execution_order must be an array of script file names"],
      ["host with scheme", { allowed_hosts: ["https://example.com"] }, "must be a host name without a scheme"],
      ["host with path", { allowed_hosts: ["example.com/api"] }, "without a path"],
      ["host with port 0", { allowed_hosts: ["example.com:0"] }, "has an invalid port"],
      ["host with port 70000", { allowed_hosts: ["example.com:70000"] }, "has an invalid port"],
      ["host with two ports", { allowed_hosts: ["example.com:1:2"] }, "at most one :port"],
      ["host with user", { allowed_hosts: ["user@example.com"] }, "without a path, query, fragment or user name"],
      ["wildcard host", { allowed_hosts: ["*.example.com"] }, "wildcards are not supported"],
      ["metadata address", { allowed_hosts: ["169.254.169.254"] }, "is a link-local address"],
      ["zero address", { allowed_hosts: ["0.0.0.0:8080"] }, "is in 0.0.0.0/8"],
      ["short IPv4 form", { allowed_hosts: ["127.1"] }, 'is spelled "127.0.0.1" in URLs'],
      ["hex IPv4 form", { allowed_hosts: ["0x7f000001:18871"] }, 'is spelled "127.0.0.1" in URLs'],
      ["host with bad label", { allowed_hosts: ["-bad.example.com"] }, "dot-separated labels"],
      ["duplicate host", { allowed_hosts: ["a.example.com", "a.example.com"] }, "is listed twice"],
      ["duplicate host in other case", { allowed_hosts: ["a.example.com", "A.Example.com"] }, '"A.Example.com" is listed twice'],
      ["too many hosts", { allowed_hosts: Array.from({ length: 21 }, (_, i) => `h${i}.example.com`) }, "lists 21 hosts; the maximum is 20"],
      ["non-string description", { description: 5 }, "description must be a string"],
    ])("rejects %s", async (_case, manifest, fragment) => {
      const error = await uploadError({ manifest }, 400, "invalid_manifest");
      expect(error.message).toContain("manifest.json is invalid: ");
      expect(error.message).toContain(fragment);
    });

    it("rejects an order missing a script", async () => {
      const error = await uploadError(
        { scripts: [script("a.js"), script("b.js")], manifest: { execution_order: ["a.js"] } },
        400,
        "invalid_manifest",
      );
      expect(error.message).toContain('execution_order must list every script; add "b.js"');
    });

    it("rejects a manifest that is not an object", async () => {
      const error = await uploadError({ manifest: "[1, 2]" }, 400, "not_an_object");
      expect(error.message).toBe("manifest.json must contain a JSON object ({ ... }) at the top level.");
    });

    it("rejects invalid JSON with its position", async () => {
      const error = await uploadError({ manifest: '{\n  "active": tru\n}' }, 400, "invalid_json");
      expect(error.message).toContain("manifest.json is not valid JSON at line 2");
    });

    it("rejects duplicate keys", async () => {
      const error = await uploadError({ manifest: '{"active": true, "active": false}' }, 400, "duplicate_key");
      expect(error.message).toContain('manifest.json has the key "active" twice');
    });
  });

  describe("config.json", () => {
    it("rejects a config that is not an object", async () => {
      const error = await uploadError({ config: '"text"' }, 400, "not_an_object");
      expect(error.message).toBe("config.json must contain a JSON object ({ ... }) at the top level.");
    });

    it("rejects a config over the size limit", async () => {
      const config = JSON.stringify({ blob: "x".repeat(MAX_CONFIG_BYTES) });
      const error = await uploadError({ config }, 413, "file_too_large");
      expect(error.message).toContain(`config.json is ${config.length} bytes, over the limit of ${MAX_CONFIG_BYTES} bytes`);
    });

    it("rejects an unsafe integer", async () => {
      const error = await uploadError({ config: '{"id": 12345678901234567890}' }, 400, "unsafe_number");
      expect(error.message).toContain("12345678901234567890 at id");
    });
  });

  describe("all or nothing", () => {
    it("bad secrets.json leaves no package row", async () => {
      const project = await createProject();
      const error = await uploadError({ project: project.id, secrets: { "bad name": "x", GOOD: "y" } }, 400, "invalid_name");
      expect(error.message).toContain("bad name");
      expect(await packageCount(project.id)).toBe(0);

      const scripts = await env.DB.prepare("SELECT COUNT(*) AS count FROM scripts s JOIN packages p ON p.id = s.package_id WHERE p.project_id = ?")
        .bind(project.id)
        .first<{ count: number }>();
      expect(scripts!.count).toBe(0);
    });

    it("secrets.json with a null value stores nothing", async () => {
      const project = await createProject();
      await uploadError({ project: project.id, secrets: { A: "1", B: null } }, 400, "null_value");
      expect(await packageCount(project.id)).toBe(0);
    });

    it("bad second script stores nothing", async () => {
      const project = await createProject();
      await uploadError({ project: project.id, scripts: [script("ok.js"), script("bad.js", "export default 1;")] }, 400, "missing_default_export");
      expect(await packageCount(project.id)).toBe(0);
    });

    it("secrets are encrypted at rest", async () => {
      const details = await createPackage({ secrets: { TOKEN: "plain-text-token-value" } });
      const row = await env.DB.prepare("SELECT ciphertext FROM secrets WHERE scope = 'package' AND owner_id = ?")
        .bind(details.id)
        .first<{ ciphertext: ArrayBuffer }>();
      const text = new TextDecoder("latin1").decode(new Uint8Array(row!.ciphertext));
      expect(text).not.toContain("plain-text-token-value");

      const key = await env.DB.prepare("SELECT COUNT(*) AS count FROM data_keys WHERE scope = 'package' AND owner_id = ?")
        .bind(details.id)
        .first<{ count: number }>();
      expect(key!.count).toBe(1);
    });
  });
});
