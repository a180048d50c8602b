import { env } from "cloudflare:test";
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { SANDBOX_COMPATIBILITY_DATE } from "../worker/executor/step";
import {
  forbiddenHostReason,
  isHostAllowed,
  OUTBOUND_REJECTED_HEADER,
  OUTBOUND_REJECTION_SOURCE,
  outboundRejection,
} from "../worker/sandbox/hosts";
import { instrumentScript } from "../worker/sandbox/instrument";
import { RUNNER_MODULE, sandboxModules } from "../worker/sandbox/modules";
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
    ["http://169.254.169.254/latest/meta-data/", ["169.254.169.254"], false],
    ["http://2852039166/", ["169.254.169.254"], false],
    ["http://169.254.1.1:8080/", ["169.254.1.1:8080"], false],
    ["http://0.0.0.0/", ["0.0.0.0"], false],
    ["http://0.1.2.3/", ["0.1.2.3"], false],
    ["http://10.0.0.1/", ["10.0.0.1"], true],
    ["http://169.255.0.1/", ["169.255.0.1"], true],
  ])("%s with %j is %s", (url, hosts, allowed) => {
    expect(isHostAllowed(new URL(url), hosts)).toBe(allowed);
  });
});

const LINK_LOCAL = "is a link-local address (169.254.0.0/16, where cloud metadata services listen), which scripts may never reach";
const THIS_NETWORK = "is in 0.0.0.0/8, which connects to the local machine, so scripts may never reach it";

/** URLs and allowed hosts on which both forms of the rule must agree. */
const REJECTION_CASES: [string, string[], string | null][] = [
  ["https://api.example.com/x", ["api.example.com"], null],
  ["https://evil.com/x", ["api.example.com"], "fetch to evil.com is not allowed: list the host in manifest.json allowed_hosts"],
  ["https://api.example.com:8443/", ["api.example.com"], "fetch to api.example.com:8443 is not allowed: list the host in manifest.json allowed_hosts"],
  ["ftp://api.example.com/", ["api.example.com"], "fetch of a ftp: URL is not allowed: use http or https"],
  ["http://169.254.169.254/", ["169.254.169.254"], `fetch to 169.254.169.254 is not allowed: 169.254.169.254 ${LINK_LOCAL}`],
  ["http://0xa9fea9fe:81/", ["169.254.169.254:81"], `fetch to 169.254.169.254:81 is not allowed: 169.254.169.254 ${LINK_LOCAL}`],
  ["http://0.0.0.0:8080/", ["0.0.0.0:8080"], `fetch to 0.0.0.0:8080 is not allowed: 0.0.0.0 ${THIS_NETWORK}`],
];

describe("outboundRejection", () => {
  it.each(REJECTION_CASES)("%s with %j", (url, hosts, expected) => {
    expect(outboundRejection(new URL(url), hosts)).toBe(expected);
  });

  it("has a sandbox source that agrees", async () => {
    const worker = env.LOADER.load({
      compatibilityDate: SANDBOX_COMPATIBILITY_DATE,
      mainModule: "rule.js",
      modules: {
        "rule.js": {
          js: `${OUTBOUND_REJECTION_SOURCE}\nexport default { async fetch(request) {\n  const cases = await request.json();\n  return Response.json(cases.map(([url, hosts]) => outboundRejection(new URL(url), hosts)));\n} };\n`,
        },
      },
      globalOutbound: null,
    });
    const response = await worker.getEntrypoint().fetch("http://rule.test/", { method: "POST", body: JSON.stringify(REJECTION_CASES) });
    const results = (await response.json()) as (string | null)[];
    expect(results).toEqual(REJECTION_CASES.map(([, , expected]) => expected));
  });
});

describe("forbiddenHostReason", () => {
  it.each([
    ["169.254.169.254", LINK_LOCAL],
    ["169.254.0.1", LINK_LOCAL],
    ["2852039166", LINK_LOCAL],
    ["0xa9fea9fe", LINK_LOCAL],
    ["169.254.169.254.", LINK_LOCAL],
    ["0.0.0.0", THIS_NETWORK],
    ["0", THIS_NETWORK],
    ["10.0.0.1", null],
    ["localhost", null],
    ["api.example.com", null],
    ["169.254.example.com", null],
  ])("%s", (host, expected) => {
    expect(forbiddenHostReason(host)).toBe(expected);
  });
});

describe("OutboundGate", () => {
  it("rejects a host that is not listed without fetching", async () => {
    const gate = worker.OutboundGate({ props: { allowedHosts: ["api.example.com"] } });
    const response = await gate.fetch("https://example.com/");
    expect(response.status).toBe(403);
    expect(response.headers.get(OUTBOUND_REJECTED_HEADER)).toBe("1");
    expect(await response.text()).toBe("fetch to example.com is not allowed: list the host in manifest.json allowed_hosts");
  });

  it("rejects a metadata address even when listed", async () => {
    const gate = worker.OutboundGate({ props: { allowedHosts: ["169.254.169.254"] } });
    const response = await gate.fetch("http://169.254.169.254/latest/meta-data/");
    expect(response.status).toBe(403);
    expect(await response.text()).toBe(`fetch to 169.254.169.254 is not allowed: 169.254.169.254 ${LINK_LOCAL}`);
  });
});

/**
 * Runs `source` in a real sandbox whose platform fetch is replaced, before the prelude captures
 * it, by a stand-in for the platform and one remote server. The stand-in serves
 * https://api.example.org/ itself, follows its /moved redirect as the platform does, and sends
 * every other request to the real OutboundGate. A dynamic worker's entrypoint cannot be another
 * dynamic worker's globalOutbound, so the stand-in runs inside the sandbox.
 */
async function runBehindStandIn(source: string): Promise<{ error: { message: string } | null }> {
  const allowedHosts = ["api.example.org"];
  const modules = sandboxModules({
    fileName: "main.js",
    instrumentedSource: instrumented(source),
    timeoutMs: 5_000,
    allowedHosts,
    maxOutputBytes: 1024,
  });
  const sandbox = env.LOADER.load({
    compatibilityDate: SANDBOX_COMPATIBILITY_DATE,
    mainModule: "test_main.js",
    modules: {
      ...modules,
      "test_main.js": { js: `import "stand_in.js";\nexport { default } from "${RUNNER_MODULE}";\n` },
      "stand_in.js": { js: STAND_IN_PLATFORM },
    },
    env: { GATE: worker.OutboundGate({ props: { allowedHosts } }) },
    globalOutbound: null,
  });
  const runner = sandbox.getEntrypoint() as unknown as { run(input: unknown): Promise<{ error: { message: string } | null }> };
  return runner.run({ params: {}, config: {}, package: { id: "pkg_test", name: "test" }, executionId: "exe_test" });
}

const STAND_IN_PLATFORM = `import { env } from "cloudflare:workers";

async function standInFetch(input, init) {
  const request = new Request(input, init);
  const url = new URL(request.url);
  if (url.hostname !== "api.example.org") return env.GATE.fetch(request);
  if (url.pathname !== "/moved") return new Response("from the remote");
  if (request.redirect === "manual") return Response.redirect("https://blocked.example/data", 302);
  return standInFetch("https://blocked.example/data");
}

globalThis.fetch = standInFetch;
`;

describe("sandbox fetch through the gate", () => {
  it("rejects a redirect to a host not allowed", async () => {
    const result = await runBehindStandIn(
      'export default async function main() {\n  await fetch("https://api.example.org/moved");\n}\n',
    );
    expect(result.error?.message).toBe("fetch to blocked.example is not allowed: list the host in manifest.json allowed_hosts");
  });

  it("returns an allowed host's response", async () => {
    const result = await runBehindStandIn(
      'export default async function main() {\n  const text = await (await fetch("https://api.example.org/")).text();\n  if (text !== "from the remote") throw new Error(text);\n}\n',
    );
    expect(result.error).toBeNull();
  });

  it("returns a manual redirect as is", async () => {
    const result = await runBehindStandIn(
      'export default async function main() {\n  const response = await fetch("https://api.example.org/moved", { redirect: "manual" });\n  if (response.status !== 302) throw new Error(String(response.status));\n}\n',
    );
    expect(result.error).toBeNull();
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

  it("yields in a loop that calls a function", async () => {
    // Each iteration makes two guard calls, so the clock check never lands on the loop's own tick.
    const { health } = await expectTimeout("function noop() {}\nexport default async function main() { noop(); while (true) { noop(); } }\n");
    expect(health.answers).toBeGreaterThan(3);
    expect(health.slowest).toBeLessThan(1_000);
  });

  it("reports one native call past the limit as a timeout", async () => {
    // The script times a small sort and sizes one large sort to 1.3 s by linear extrapolation.
    // Sorting grows faster than that, so it took about 2 s on a two-core test machine: past the
    // 1 s limit, and before the executor stops waiting at 3 s.
    const source =
      "export default async function main() {\n" +
      "  console.log('sorting');\n" +
      "  const started = Date.now();\n" +
      "  Array.from({ length: 200000 }, Math.random).sort();\n" +
      "  const msPerItem = Math.max(Date.now() - started, 1) / 200000;\n" +
      "  const size = Math.min(Math.ceil(1300 / msPerItem), 10000000);\n" +
      "  Array.from({ length: size }, Math.random).sort();\n" +
      "  console.log('sorted');\n" +
      "}\n";
    const { packageId } = await seedPackage({ scripts: [{ name: "main.js", source }], timeoutMs: 1_000 });
    const run = await runToEnd(packageId);
    const step = run.stepResults[0]!;
    expect(run.failure_reason).toBe("timeout");
    expect(step.status).toBe("failed");
    expect(step.failure_reason).toBe("timeout");
    expect(step.error!.message).toMatch(/^TimeoutError: The step ran for \d+ ms, which exceeds its time limit of 1000 ms\./);
    expect(step.output.map((line) => line.text)).toEqual(["sorting", "sorted"]);
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
