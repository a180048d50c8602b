/**
 * The step capability over real Workers RPC: a StepCapability passed as an argument to a
 * dynamic worker loaded through the Worker Loader, as the executor passes it to the runner.
 */
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { StepCapability, type CallResult, type StepBinding, type StepCalls } from "../worker/executor/capability";
import type { Executor } from "../worker/executor/executor";
import { SANDBOX_COMPATIBILITY_DATE } from "../worker/executor/step";
import { executorOf, readRun, seedPackage, startRun } from "./executor-fixtures";

/** Records every call with the binding it arrived with, and serves fixed values. */
class RecordingCalls implements StepCalls {
  readonly calls: { method: string; step: StepBinding; args: unknown[] }[] = [];

  private record<T>(method: string, step: StepBinding, args: unknown[], value: T): Promise<CallResult<T>> {
    this.calls.push({ method, step: { ...step }, args });
    return Promise.resolve({ ok: true, value });
  }

  getSecret(step: StepBinding, name: string) {
    return this.record("getSecret", step, [name], JSON.stringify(`value of ${name}`));
  }

  setSecret(step: StepBinding, name: string, json: string, scope: string) {
    return this.record("setSecret", step, [name, json, scope], null);
  }

  getState(step: StepBinding, key: string | null) {
    return this.record("getState", step, [key], null);
  }

  putState(step: StepBinding, key: string, json: string) {
    return this.record("putState", step, [key, json], null);
  }
}

/**
 * A dynamic worker whose `probe(capability)` uses the stub the way a hostile script might and
 * reports what it saw. The stub is also kept in module state for the next call.
 */
const PROBE_WORKER = `import { WorkerEntrypoint } from "cloudflare:workers";
let kept = null;

async function attempt(action) {
  try {
    return { ok: true, value: await action() };
  } catch (error) {
    return { ok: false, error: String(error) };
  }
}

export default class Probe extends WorkerEntrypoint {
  async probe(capability) {
    kept = capability;
    return {
      secret: await attempt(() => capability.getSecret("API_KEY")),
      step: await attempt(async () => typeof (await capability.step)),
      calls: await attempt(async () => typeof (await capability.calls)),
      wrongType: await attempt(() => capability.getSecret(42)),
    };
  }

  async useKept() {
    return attempt(() => kept.getSecret("LATER"));
  }
}
`;

function loadProbe() {
  const worker = env.LOADER.load({
    compatibilityDate: SANDBOX_COMPATIBILITY_DATE,
    mainModule: "probe.js",
    modules: { "probe.js": { js: PROBE_WORKER } },
    globalOutbound: null,
  });
  return worker.getEntrypoint() as unknown as {
    probe(capability: StepCapability): Promise<Record<string, { ok: boolean; value?: unknown; error?: string }>>;
    useKept(): Promise<{ ok: boolean; value?: unknown; error?: string }>;
  };
}

describe("StepCapability over RPC", () => {
  it("forwards calls with its own binding", async () => {
    const calls = new RecordingCalls();
    const result = await loadProbe().probe(new StepCapability(calls, { executionId: "exe_probe", position: 2 }));

    expect(result.secret).toEqual({ ok: true, value: { ok: true, value: '"value of API_KEY"' } });
    expect(calls.calls[0]).toEqual({ method: "getSecret", step: { executionId: "exe_probe", position: 2 }, args: ["API_KEY"] });
  });

  it("hides its binding and its calls", async () => {
    const result = await loadProbe().probe(new StepCapability(new RecordingCalls(), { executionId: "exe_hidden", position: 1 }));

    // Workers RPC exposes the class's methods only, so the private fields are not reachable.
    expect(result.step!.ok).toBe(false);
    expect(result.step!.error).toContain('does not implement the method "step"');
    expect(result.calls!.ok).toBe(false);
    expect(result.calls!.error).toContain('does not implement the method "calls"');
  });

  it("rejects arguments of the wrong type", async () => {
    const calls = new RecordingCalls();
    const result = await loadProbe().probe(new StepCapability(calls, { executionId: "exe_types", position: 1 }));

    expect(result.wrongType).toEqual({ ok: true, value: { ok: false, message: "TypeError: the secret name must be a string." } });
    expect(calls.calls.map((call) => call.args[0])).toEqual(["API_KEY"]);
  });

  it("stops working when the call that passed it returns", async () => {
    const calls = new RecordingCalls();
    const probe = loadProbe();
    await probe.probe(new StepCapability(calls, { executionId: "exe_kept", position: 1 }));

    const later = await probe.useKept();
    expect(later.ok).toBe(false);
    expect(calls.calls.map((call) => call.args[0])).toEqual(["API_KEY"]);
  });
});

describe("Executor step calls", () => {
  it("reject a step that is not running", async () => {
    const stub = executorOf("pkg_capability_idle");
    const result = await runInDurableObject(stub, async (instance: Executor) => {
      // The executor runs nothing, so no binding names the running step.
      const calls = (instance as unknown as { stepCalls: StepCalls }).stepCalls;
      return new StepCapability(calls, { executionId: "exe_none", position: 1 }).getSecret("ANY");
    });
    expect(result).toEqual({ ok: false, message: "This step is no longer running, so it cannot use ferris_ef." });
  });
});

describe("secret read audit", () => {
  it("is in storage while the step runs", async () => {
    // The script reads a secret, then waits, so the test can look at the executor's storage
    // after the value reached the script and before the step ends.
    const source =
      'import { get_secret } from "ferris_ef";\n' +
      "export default async function main() {\n" +
      '  console.log((await get_secret("TOKEN")) === "token-value");\n' +
      "  await new Promise((resolve) => setTimeout(resolve, 400));\n" +
      "}\n";
    const { packageId } = await seedPackage({ scripts: [{ name: "main.js", source }], secrets: { package: { TOKEN: "token-value" } } });
    const executionId = await startRun(packageId);
    const stub = executorOf(packageId);

    let kept: unknown[] = [];
    for (let i = 0; i < 100 && kept.length === 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      kept = await runInDurableObject(stub, async (_instance: Executor, state) => [...(await state.storage.list({ prefix: "audit:" })).values()]);
    }
    expect(kept).toEqual([expect.objectContaining({ action: "secret.read", secretName: "TOKEN", executionId })]);

    await stub.wait(executionId);
    const run = await readRun(executionId);
    expect(run.stepResults[0]!.output.map((line) => line.text)).toEqual(["true"]);
    const left = await runInDurableObject(stub, async (_instance: Executor, state) => (await state.storage.list({ prefix: "audit:" })).size);
    expect(left).toBe(0);
  });
});
