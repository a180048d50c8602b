// The classic executor that the benchmark compares against: one Node.js child process per
// step, started with the secrets in its environment, timed from spawn to exit.
import { spawn } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";

const classicDirectory = join(dirname(dirname(fileURLToPath(import.meta.url))), "classic");

/**
 * Lays out a working directory in which scripts can import "ferris_ef": the shim as the
 * package node_modules/ferris_ef, the runner beside it. Returns { directory, dispose }.
 */
export function prepareClassicDirectory() {
  const directory = mkdtempSync(join(tmpdir(), "ferris-classic-"));
  const shimDirectory = join(directory, "node_modules", "ferris_ef");
  mkdirSync(shimDirectory, { recursive: true });
  copyFileSync(join(classicDirectory, "ferris_ef.mjs"), join(shimDirectory, "index.mjs"));
  writeFileSync(
    join(shimDirectory, "package.json"),
    JSON.stringify({ name: "ferris_ef", type: "module", exports: "./index.mjs" }),
  );
  copyFileSync(join(classicDirectory, "runner.mjs"), join(directory, "runner.mjs"));
  return { directory, dispose: () => rmSync(directory, { recursive: true, force: true }) };
}

/** Writes a step's script into the working directory and returns its path. */
export function writeClassicScript(directory, fileName, source) {
  const path = join(directory, fileName.replace(/\.js$/, ".mjs"));
  writeFileSync(path, source);
  return path;
}

/** Builds the child's environment: PATH, the params, and one variable per secret. */
export function classicEnvironment(secrets, params) {
  const environment = { PATH: process.env.PATH ?? "/usr/bin:/bin", FERRIS_PARAMS: JSON.stringify(params) };
  for (const [name, value] of Object.entries(secrets)) environment[`FERRIS_SECRET_${name}`] = JSON.stringify(value);
  return environment;
}

/**
 * Runs one step in a fresh Node.js process and resolves { elapsedMs, stdout } once it exits.
 * Rejects when the step exits non-zero.
 */
export function runClassicStep(directory, scriptPath, environment) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, [join(directory, "runner.mjs"), scriptPath], {
      cwd: directory,
      env: environment,
      stdio: ["ignore", "pipe", "pipe"],
    });

    const stdout = [];
    const stderr = [];
    child.stdout.on("data", (chunk) => stdout.push(chunk));
    child.stderr.on("data", (chunk) => stderr.push(chunk));
    child.on("error", reject);
    child.on("close", (code) => {
      const elapsedMs = performance.now() - started;
      if (code !== 0) {
        reject(new Error(`classic step ${scriptPath} exited with code ${code}: ${Buffer.concat(stderr).toString()}`));
        return;
      }
      resolve({ elapsedMs, stdout: Buffer.concat(stdout).toString() });
    });
  });
}
