// Starts the benchmark's Worker the way `npm start` starts the product: the D1 migrations
// applied to a local database, then `wrangler dev` on 127.0.0.1. Each start gets a fresh
// temporary persistence directory and its own random platform key and admin token.
import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { assertSameBindings } from "./config-check.mjs";

const benchDirectory = dirname(dirname(fileURLToPath(import.meta.url)));
const repositoryDirectory = dirname(benchDirectory);
const configPath = join(benchDirectory, "wrangler.toml");
const localWrangler = join(repositoryDirectory, "node_modules", ".bin", "wrangler");

/** The project's own wrangler, so that `node bench/run.mjs` works without node_modules/.bin on PATH. */
export const WRANGLER = existsSync(localWrangler) ? localWrangler : "wrangler";

/** How long `wrangler dev` may take to respond to GET /api/health before the start fails. */
const READY_TIMEOUT_MS = 90_000;

/**
 * Returns the environment for wrangler: node_modules/.bin first on PATH, as `npm run` sets it,
 * so that wrangler runs on the project's Node.js even when the harness runs on another one.
 * Telemetry and the download of Request.cf data are off, so a benchmark contacts no other host.
 */
export function wranglerEnvironment() {
  const path = [join(repositoryDirectory, "node_modules", ".bin"), process.env.PATH].filter(Boolean).join(":");
  return { ...process.env, PATH: path, WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false", CI: "true" };
}

function tailOf(path, lines = 40) {
  try {
    return readFileSync(path, "utf8").split("\n").slice(-lines).join("\n");
  } catch {
    return "(no log)";
  }
}

/**
 * Rejects when something already listens on 127.0.0.1:`port`. Without this check the health
 * poll could reach another server on that port and the benchmark would measure it instead.
 */
function assertPortFree(port, option) {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", (error) => {
      const reason = error.code === "EADDRINUSE" ? "is in use" : `cannot be opened (${error.code})`;
      reject(new Error(`Port ${port} on 127.0.0.1 ${reason}: stop what listens there or pass another ${option}.`));
    });
    probe.listen(port, "127.0.0.1", () => probe.close(resolve));
  });
}

/**
 * Bundles the benchmark's Worker once into `stateDirectory` and writes a configuration that
 * serves that bundle as it is. `wrangler dev` reloads the Worker whenever a source file changes,
 * which would restart it in the middle of a case while the tree is being edited. A snapshot
 * keeps one build for the whole benchmark. Returns the snapshot configuration's path.
 */
function buildSnapshot(stateDirectory, logPath) {
  const bundleDirectory = join(stateDirectory, "bundle");
  const result = spawnSync(WRANGLER, ["deploy", "--dry-run", "--outdir", bundleDirectory, "--config", configPath], {
    cwd: repositoryDirectory,
    env: wranglerEnvironment(),
    encoding: "utf8",
  });
  writeFileSync(logPath, `${result.stdout ?? ""}${result.stderr ?? ""}`);
  if (result.error) throw new Error(`Starting ${WRANGLER} failed: ${result.error.message}. Run \`npm ci\` first.`);
  if (result.status !== 0) throw new Error(`Bundling the benchmark Worker failed with exit code ${result.status}:\n${tailOf(logPath)}`);

  const source = readFileSync(configPath, "utf8");
  const mainLine = /^main = "floor-worker\.ts"$/m;
  const migrationsLine = /^migrations_dir = "\.\.\/migrations"$/m;
  if (!mainLine.test(source) || !migrationsLine.test(source)) {
    throw new Error(`${configPath} must keep main = "floor-worker.ts" and migrations_dir = "../migrations", which the snapshot rewrites.`);
  }
  const snapshot = source
    .replace(mainLine, `main = ${JSON.stringify(join(bundleDirectory, "floor-worker.js"))}\nno_bundle = true`)
    .replace(migrationsLine, `migrations_dir = ${JSON.stringify(join(repositoryDirectory, "migrations"))}`);
  const snapshotPath = join(stateDirectory, "wrangler.toml");
  writeFileSync(snapshotPath, snapshot);
  return snapshotPath;
}

function applyMigrations(runConfigPath, persistDirectory, logPath) {
  const result = spawnSync(
    WRANGLER,
    ["d1", "migrations", "apply", "DB", "--local", "--config", runConfigPath, "--persist-to", persistDirectory],
    { cwd: repositoryDirectory, env: wranglerEnvironment(), encoding: "utf8" },
  );
  writeFileSync(logPath, `${result.stdout ?? ""}${result.stderr ?? ""}`);
  if (result.error) throw new Error(`Starting ${WRANGLER} failed: ${result.error.message}. Run \`npm ci\` first.`);
  if (result.status !== 0) {
    throw new Error(`wrangler d1 migrations apply failed with exit code ${result.status}:\n${tailOf(logPath)}`);
  }
}

async function waitUntilHealthy(baseUrl, child, logPath) {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      throw new Error(`wrangler dev exited with code ${child.exitCode} before it served requests:\n${tailOf(logPath)}`);
    }
    try {
      const response = await fetch(`${baseUrl}/api/health`);
      if (response.ok) return;
    } catch {
      // Not listening yet: try again shortly.
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`wrangler dev did not respond to GET /api/health within ${READY_TIMEOUT_MS} ms:\n${tailOf(logPath)}`);
}

/**
 * Starts the Worker on 127.0.0.1:`port`, with the devtools inspector on `inspectorPort`.
 * Returns { baseUrl, adminToken, logPath, stateDirectory, processGroup, stop }. `stop()` ends the wrangler process group
 * that this call started and removes the temporary directory.
 */
export async function startWorker({ port, inspectorPort, keepState = false }) {
  assertSameBindings(join(repositoryDirectory, "wrangler.toml"), configPath);
  await assertPortFree(port, "--port");
  await assertPortFree(inspectorPort, "--port (the inspector uses the port after it)");

  const stateDirectory = mkdtempSync(join(tmpdir(), "ferris-bench-"));
  const persistDirectory = join(stateDirectory, "state");
  const variablesPath = join(stateDirectory, "bench.vars");
  const migrationLogPath = join(stateDirectory, "migrations.log");
  const logPath = join(stateDirectory, "wrangler-dev.log");

  const adminToken = `fe_bench_${randomBytes(24).toString("base64url")}`;
  const platformKey = randomBytes(32).toString("base64");
  writeFileSync(variablesPath, `PLATFORM_KEY=${platformKey}\nADMIN_TOKEN=${adminToken}\n`, { mode: 0o600 });

  let runConfigPath;
  try {
    runConfigPath = buildSnapshot(stateDirectory, join(stateDirectory, "bundle.log"));
    applyMigrations(runConfigPath, persistDirectory, migrationLogPath);
  } catch (error) {
    if (!keepState) rmSync(stateDirectory, { recursive: true, force: true });
    throw error;
  }

  const logFile = openSync(logPath, "a");
  const args = [
    "dev",
    "--config", runConfigPath,
    "--ip", "127.0.0.1",
    "--port", String(port),
    "--inspector-ip", "127.0.0.1",
    "--inspector-port", String(inspectorPort),
    "--persist-to", persistDirectory,
    "--env-file", variablesPath,
    "--local",
    "--show-interactive-dev-session=false",
  ];
  // A process group of its own, so that stop() can end wrangler and the workerd it starts.
  const child = spawn(WRANGLER, args, {
    cwd: repositoryDirectory,
    env: wranglerEnvironment(),
    stdio: ["ignore", logFile, logFile],
    detached: true,
  });

  // The group is detached, so Ctrl-C does not reach it: end it when the harness is stopped or
  // exits without calling stop().
  const endGroup = () => {
    try {
      process.kill(-child.pid, "SIGTERM");
    } catch {
      // The group is already gone.
    }
  };
  const onSignal = (signal) => {
    process.stderr.write(`\nbench: ${signal} received; stopping the Worker.\n`);
    endGroup();
    if (!keepState) rmSync(stateDirectory, { recursive: true, force: true });
    process.exit(signal === "SIGINT" ? 130 : 143);
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  process.once("exit", endGroup);

  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    process.off("exit", endGroup);
    if (child.exitCode === null) {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      try {
        process.kill(-child.pid, "SIGTERM");
      } catch {
        // The group is already gone.
      }
      const timer = setTimeout(() => {
        try {
          process.kill(-child.pid, "SIGKILL");
        } catch {
          // The group is already gone.
        }
      }, 5_000);
      await exited;
      clearTimeout(timer);
    }
    if (!keepState) rmSync(stateDirectory, { recursive: true, force: true });
  };

  const baseUrl = `http://127.0.0.1:${port}`;
  try {
    await waitUntilHealthy(baseUrl, child, logPath);
  } catch (error) {
    await stop();
    throw error;
  }
  return { baseUrl, adminToken, logPath, stateDirectory, processGroup: child.pid, stop };
}
