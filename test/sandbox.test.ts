import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { isHostAllowed } from "../worker/sandbox/hosts";
import { instrumentScript } from "../worker/sandbox/instrument";
import { outputText, runToEnd, seedPackage, startRun, executorOf, readRun } from "./executor-fixtures";

const worker = exports as unknown as {
  default: { fetch(url: string): Promise<Response> };
  OutboundGate(options: { props: { allowedHosts: string[] } }): Fetcher;
};

function instrumented(source: string): string {
  const result = instrumentScript("main.js", source);
  if (!result.ok) throw new Error(result.error.message);
  return result.source;
}

describe("instrumentScript", () => {
  it("keeps every line number", () => {
    const source = "export default async function main() {\n  while (true) x();\n  for (;;) {}\n  try { a() } catch { b() } finally { c() }\n  const f = () => 1;\n}\n";
    const lines = instrumented(source).split("\n");
    expect(lines.slice(0, 6).length).toBe(6);
    expect(lines[1]).toContain("while (true) {if (__ferrisTick()) await __ferrisPause(); x(); }");
    expect(lines[2]).toContain("for (;;) {if (__ferrisTick()) await __ferrisPause();}");
    expect(lines[3]).toContain("catch {__ferrisTick(); b() } finally {__ferrisTick(); c() }");
    expect(lines[4]).toContain("() => (__ferrisTick(), 1)");
  });

  it("uses the non-yielding guard in sync functions", () => {
    const out = instrumented("function f() { while (true) {} }\nexport default async function main() { f(); }\n");
    expect(out).toContain("function f() {__ferrisTick(); while (true) {__ferrisTick();} }");
  });

  it("keeps an arrow body that is an object literal", () => {
    expect(instrumented("export default () => ({ a: 1 });\n")).toContain("() => (__ferrisTick(), ({ a: 1 }))");
  });

  it.each([
    ['import fs from "node:fs";', 'Importing "node:fs" is not allowed'],
    ['export * from "other.js";', 'Importing "other.js" is not allowed'],
    ['const m = await import("cloudflare:workers");', 'Dynamic import() of "cloudflare:workers" is not allowed'],
    ["const m = await import(name);", "Dynamic import() of a computed specifier is not allowed"],
    ["let __ferrisTick = 1;", "The identifier __ferrisTick is reserved"],
    ["obj.__ferrisX = 1;", "The identifier __ferrisX is reserved"],
  ])("rejects %s", (source, message) => {
    const result = instrumentScript("main.js", source);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.error.message).toContain(message);
      expect(result.error.message).toContain("main.js:1:");
    }
  });

  it("reports a syntax error with line and column", () => {
    const result = instrumentScript("main.js", "export default function main() {\n  let x = ;\n}\n");
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.error.name).toBe("SyntaxError");
      expect(result.error.message).toBe("Unexpected token (at main.js:2:11)");
    }
  });

  it("allows importing ferris_ef", () => {
    expect(instrumentScript("main.js", 'import { get_secret } from "ferris_ef";\nconst m = await import("ferris_ef");\n').ok).toBe(true);
  });
});

describe("isHostAllowed", () => {
  it.each([
    ["https://api.example.com/x", ["api.example.com"], true],
    ["http://API.example.com/x", ["api.example.com"], true],
    ["https://api.example.com:8443/x", ["api.example.com"], false],
    ["https://api.example.com:8443/x", ["api.example.com:8443"], true],
    ["https://evil.com/x", ["api.example.com"], false],
    ["https://api.example.com@evil.com/", ["api.example.com"], false],
    ["https://sub.api.example.com/", ["api.example.com"], false],
    ["ftp://api.example.com/", ["api.example.com"], false],
  ])("%s with %j is %s", (url, hosts, allowed) => {
    expect(isHostAllowed(new URL(url), hosts)).toBe(allowed);
  });
});

describe("OutboundGate", () => {
  it("rejects a host that is not listed without fetching", async () => {
    const gate = worker.OutboundGate({ props: { allowedHosts: ["api.example.com"] } });
    const response = await gate.fetch("https://example.com/");
    expect(response.status).toBe(403);
    expect(await response.text()).toContain("fetch to example.com is not allowed");
  });
});

/** Polls /api/health during a run and returns the slowest response time in milliseconds. */
async function slowestHealthDuring(run: Promise<unknown>): Promise<{ slowest: number; answers: number }> {
  let done = false;
  void run.finally(() => {
    done = true;
  });
  let slowest = 0;
  let answers = 0;
  while (!done) {
    const started = Date.now();
    const response = await worker.default.fetch("http://edge.test/api/health");
    expect(response.status).toBe(200);
    await response.arrayBuffer();
    slowest = Math.max(slowest, Date.now() - started);
    answers += 1;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  await run;
  return { slowest, answers };
}

async function expectTimeout(source: string) {
  const { packageId } = await seedPackage({ scripts: [{ name: "main.js", source }], timeoutMs: 2_000 });
  const executionId = await startRun(packageId);
  const started = Date.now();
  const health = await slowestHealthDuring(executorOf(packageId).wait(executionId));
  const run = await readRun(executionId);
  expect(run.status).toBe("failed");
  expect(run.failure_reason).toBe("timeout");
  expect(run.stepResults[0]!.failure_reason).toBe("timeout");
  expect(Date.now() - started).toBeLessThan(8_000);
  return { run, health };
}

describe("runaway scripts", () => {
  it("stops while (true) {} and keeps health answering", async () => {
    const { health } = await expectTimeout("export default async function main() {\n  while (true) {}\n}\n");
    expect(health.answers).toBeGreaterThan(3);
    expect(health.slowest).toBeLessThan(1_000);
  });

  it("stops an await that never settles", async () => {
    const { health } = await expectTimeout("export default async function main() {\n  await new Promise(() => {});\n}\n");
    expect(health.answers).toBeGreaterThan(3);
  });

  it("stops a loop whose try/catch swallows errors", async () => {
    await expectTimeout(
      "export default async function main() {\n  while (true) {\n    try { while (true) {} } catch (e) { console.log('caught'); } finally { }\n  }\n}\n",
    );
  });

  it("stops a sync loop in a sync function", async () => {
    await expectTimeout("function spin() { for (;;) {} }\nexport default async function main() {\n  spin();\n}\n");
  });

  it("stops infinite async recursion", async () => {
    await expectTimeout("async function again(n) { await null; return again(n + 1); }\nexport default async function main() {\n  await again(0);\n}\n");
  });

  it("fails deep sync recursion as an error", async () => {
    const { packageId } = await seedPackage({
      scripts: [{ name: "main.js", source: "function down(n) { return down(n + 1) + 1; }\nexport default async function main() {\n  down(0);\n}\n" }],
      timeoutMs: 2_000,
    });
    const run = await runToEnd(packageId);
    expect(run.status).toBe("failed");
    expect(run.stepResults[0]!.failure_reason).toBe("error");
    expect(run.stepResults[0]!.error!.message).toContain("RangeError");
  });

  it("rejects eval inside the sandbox", async () => {
    const { packageId } = await seedPackage({
      scripts: [{ name: "main.js", source: 'export default async function main() {\n  eval("while (true) {}");\n}\n' }],
      timeoutMs: 2_000,
    });
    const run = await runToEnd(packageId);
    expect(run.stepResults[0]!.failure_reason).toBe("error");
    expect(run.stepResults[0]!.error!.message).toMatch(/EvalError|Code generation/);
  });
});

describe("sandbox isolation", () => {
  it("gives a clear error for a fetch to a host not allowed", async () => {
    const { packageId } = await seedPackage({
      scripts: [{ name: "main.js", source: 'export default async function main() {\n  await fetch("https://example.com/data");\n}\n' }],
      allowedHosts: ["api.example.org"],
    });
    const run = await runToEnd(packageId);
    expect(run.stepResults[0]!.failure_reason).toBe("error");
    expect(run.stepResults[0]!.error!.message).toBe(
      "TypeError: fetch to example.com is not allowed: list the host in manifest.json allowed_hosts",
    );
  });

  it("blocks fetch when no host is allowed", async () => {
    const { packageId } = await seedPackage({
      scripts: [{ name: "main.js", source: 'export default async function main() {\n  await fetch("https://example.com/");\n}\n' }],
    });
    const run = await runToEnd(packageId);
    expect(run.stepResults[0]!.error!.message).toContain("fetch to example.com is not allowed");
  });

  it("captures console output in order with streams", async () => {
    const { packageId } = await seedPackage({
      scripts: [
        {
          name: "main.js",
          source:
            'export default async function main() {\n  console.log("one", 1, { a: [2] });\n  console.info("two");\n  console.warn("three");\n  console.error(new TypeError("four"));\n}\n',
        },
      ],
    });
    const run = await runToEnd(packageId);
    const output = run.stepResults[0]!.output;
    expect(output.map((line) => line.stream)).toEqual(["log", "info", "warn", "error"]);
    expect(output[0]!.text).toBe('one 1 {"a":[2]}');
    expect(output[3]!.text).toContain("TypeError: four");
    expect(run.status).toBe("completed");
  });

  it("cannot replace the captured console", async () => {
    const { packageId } = await seedPackage({
      scripts: [
        { name: "main.js", source: 'export default async function main() {\n  globalThis.console = { log() {} };\n}\n' },
      ],
    });
    const run = await runToEnd(packageId);
    expect(run.stepResults[0]!.failure_reason).toBe("error");
    expect(run.stepResults[0]!.error!.message).toContain("TypeError");
  });

  it("truncates output over 1 MiB with a marker", async () => {
    const { packageId } = await seedPackage({
      scripts: [
        {
          name: "main.js",
          source: 'export default async function main() {\n  const line = "x".repeat(1000);\n  for (let i = 0; i < 3000; i++) console.log(line);\n}\n',
        },
      ],
    });
    const run = await runToEnd(packageId);
    const step = run.stepResults[0]!;
    expect(run.status).toBe("completed");
    expect(step.output_truncated).toBe(true);
    expect(step.output.length).toBeGreaterThan(900);
    expect(step.output.length).toBeLessThan(1100);
    expect(step.output[step.output.length - 1]!.text).toBe("[output truncated: the step wrote more than 1048576 bytes of output]");
    expect(JSON.stringify(step.output).length).toBeLessThanOrEqual(1024 * 1024);
  });

  it("reports a thrown error with the script's own frames", async () => {
    const { packageId } = await seedPackage({
      scripts: [
        {
          name: "main.js",
          source: 'function inner() {\n  throw new Error("bad input");\n}\nexport default async function main() {\n  inner();\n}\n',
        },
      ],
    });
    const run = await runToEnd(packageId);
    const error = run.stepResults[0]!.error!;
    expect(error.message).toBe("Error: bad input");
    const frames = error.stack.split("\n");
    expect(frames[0]).toMatch(/^ {4}at inner \(main\.js:2:\d+\)$/);
    expect(frames[1]).toMatch(/main\.js:5:\d+\)$/);
    expect(error.stack).not.toContain("__ferris");
  });

  it("reports a syntax error as a failed step", async () => {
    const { packageId } = await seedPackage({
      scripts: [{ name: "main.js", source: "export default async function main() {\n  let = ;\n}\n" }],
    });
    const run = await runToEnd(packageId);
    expect(run.stepResults[0]!.failure_reason).toBe("error");
    expect(run.stepResults[0]!.error!.message).toMatch(/^SyntaxError: .*\(at main\.js:2:\d+\)$/);
  });

  it("fails a script without a default export", async () => {
    const { packageId } = await seedPackage({ scripts: [{ name: "main.js", source: "export const x = 1;\n" }] });
    const run = await runToEnd(packageId);
    expect(run.stepResults[0]!.error!.message).toContain("main.js has no default-exported function");
    expect(outputText(run)).toBe("");
  });
});
