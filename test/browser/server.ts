/**
 * Starts and stops the `wrangler dev` server that the browser tests drive: on 127.0.0.1
 * only, with a temporary persist directory and a test env file, so the tests never touch a
 * developer's local state.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const HOST = "127.0.0.1";
/** The browser tests' ports: 8840 serves the Worker, 8849 is wrangler's inspector. */
export const PORT = 8840;
const INSPECTOR_PORT = 8849;
const READY_TIMEOUT_MS = 120_000;

export interface DevServer {
  baseUrl: string;
  stop(): Promise<void>;
}

const environment = {
  ...process.env,
  WRANGLER_SEND_METRICS: "false",
  CLOUDFLARE_CF_FETCH_ENABLED: "false",
  CI: "true",
  NO_COLOR: "1",
};

function wrangler(args: string[]): void {
  const result = spawnSync("wrangler", args, { env: environment, encoding: "utf8" });
  if (result.status !== 0) {
    throw new Error(`\`wrangler ${args.join(" ")}\` failed with exit code ${result.status}:\n${result.stdout}\n${result.stderr}`);
  }
}

async function waitUntilReady(baseUrl: string, child: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`wrangler dev exited with code ${child.exitCode}:\n${log()}`);
    try {
      const response = await fetch(`${baseUrl}/api/health`);
      if (response.ok) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`wrangler dev did not answer ${baseUrl}/api/health within ${READY_TIMEOUT_MS} ms:\n${log()}`);
}

/** Applies the migrations to a fresh persist directory and starts `wrangler dev` on it. */
export async function startDevServer(): Promise<DevServer> {
  const stateDir = mkdtempSync(join(tmpdir(), "ferris-browser-"));
  const envFile = join(stateDir, "test.env");
  // Test-only keys, written to the temporary directory and deleted with it.
  writeFileSync(envFile, "PLATFORM_KEY=ZmVycmlzLWJyb3dzZXItdGVzdC1wbGF0Zm9ybS1rZXk=\nADMIN_TOKEN=browser-test-admin-token\n", { mode: 0o600 });

  wrangler(["d1", "migrations", "apply", "DB", "--local", "--persist-to", stateDir]);

  const child = spawn(
    "wrangler",
    [
      "dev",
      "--ip", HOST,
      "--port", String(PORT),
      "--inspector-port", String(INSPECTOR_PORT),
      "--inspector-ip", HOST,
      "--persist-to", stateDir,
      "--env-file", envFile,
      "--show-interactive-dev-session=false",
    ],
    { env: environment, detached: true, stdio: ["ignore", "pipe", "pipe"] },
  );
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));

  const baseUrl = `http://${HOST}:${PORT}`;
  const stop = async () => {
    if (child.exitCode === null && child.pid !== undefined) {
      // The negative pid signals wrangler's own process group, which contains workerd.
      process.kill(-child.pid, "SIGTERM");
      await new Promise((resolve) => child.once("exit", resolve));
    }
    rmSync(stateDir, { recursive: true, force: true });
  };

  try {
    await waitUntilReady(baseUrl, child, () => output);
  } catch (error) {
    await stop();
    throw error;
  }
  return { baseUrl, stop };
}
