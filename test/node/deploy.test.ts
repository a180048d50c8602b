import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

// With no Cloudflare account here, a dry run is the check that `wrangler deploy` would
// accept the configuration and bundle the Worker unchanged.
describe("wrangler deploy --dry-run", () => {
  const outdir = mkdtempSync(join(tmpdir(), "ferris-deploy-"));
  afterAll(() => rmSync(outdir, { recursive: true, force: true }));

  it("bundles the Worker with its bindings", () => {
    const output = execFileSync("wrangler", ["deploy", "--dry-run", "--outdir", outdir], {
      encoding: "utf8",
      env: { ...process.env, WRANGLER_SEND_METRICS: "false" },
    });

    expect(output).toContain("env.EXECUTOR (Executor)");
    expect(output).toContain("env.DB (ferris-edge)");
    expect(output).toContain("env.LOADER");
    expect(output).toContain("env.ASSETS");
    expect(output).toContain("--dry-run: exiting now.");
    expect(readdirSync(outdir)).toContain("index.js");
  });
});
