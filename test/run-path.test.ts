/**
 * The run path as a client sees it: the statuses that GET /executions/{id} shows while a run
 * is in progress, which the playground polls.
 */
import { describe, expect, it } from "vitest";
import { bearer, insertToken, insertWorkspace } from "./helpers/access";
import { api, createPackage, expectError, expectJson } from "./helpers/api";

interface ExecutionSnapshot {
  status: string;
  steps: { position: number; status: string; started_at: string | null; finished_at: string | null }[];
}

function sleepingScript(ms: number, end = ""): string {
  return `export default async function main() {\n  await new Promise((resolve) => setTimeout(resolve, ${ms}));\n  ${end}\n}\n`;
}

/** Formats a snapshot as text: the execution's status, then each step's status in order. */
function describeSnapshot(snapshot: ExecutionSnapshot): string {
  return [snapshot.status, ...snapshot.steps.map((step) => step.status)].join(" ");
}

describe("live statuses of a run", () => {
  it("move from stage to stage without gaps", async () => {
    const pkg = await createPackage({
      scripts: [
        { name: "a.js", content: sleepingScript(500) },
        { name: "b.js", content: sleepingScript(500, 'throw new Error("b failed");') },
        { name: "c.js", content: sleepingScript(0) },
      ],
    });
    const started = await expectJson<ExecutionSnapshot & { id: string }>(await api("POST", `/packages/${pkg.id}/executions`), 202);

    const seen: string[] = [];
    let last: ExecutionSnapshot = started;
    for (let i = 0; i < 400 && (last.status === "pending" || last.status === "in_progress"); i++) {
      last = await expectJson<ExecutionSnapshot>(await api("GET", `/executions/${started.id}`), 200);
      const text = describeSnapshot(last);
      if (seen[seen.length - 1] !== text) seen.push(text);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }

    // A step's end and the next stage's start are one write, so a poll never finds a finished
    // step followed by a pending one while the run is in progress.
    const allowed = [
      "pending pending pending pending",
      "in_progress in_progress pending pending",
      "in_progress completed in_progress pending",
      "failed completed failed unprocessed",
    ];
    for (const text of seen) expect(allowed, `unexpected snapshot "${text}" in ${JSON.stringify(seen)}`).toContain(text);
    expect(seen).toContain("in_progress in_progress pending pending");
    expect(seen).toContain("in_progress completed in_progress pending");
    expect(seen[seen.length - 1]).toBe("failed completed failed unprocessed");

    const [first, second, third] = last.steps;
    expect(Date.parse(second!.started_at!)).toBeGreaterThanOrEqual(Date.parse(first!.finished_at!));
    expect(second!.finished_at).not.toBeNull();
    expect(third!.started_at).toBeNull();
  });
});

describe("POST /packages/{package}/executions", () => {
  it("hides another workspace's package", async () => {
    const pkg = await createPackage({ scripts: [{ name: "a.js", content: sleepingScript(0) }] });
    const other = await insertToken({ workspaceId: await insertWorkspace(), role: "administrator" });

    // The route uses the row that authorization read, so that read's workspace filter decides.
    await expectError(await api("POST", `/packages/${pkg.id}/executions?wait=1`, {}, bearer(other.token)), 404, "not_found");
    const runs = await expectJson<{ executions: unknown[] }>(await api("GET", `/packages/${pkg.id}/executions`), 200);
    expect(runs.executions).toEqual([]);
  });

  it("returns with wait=1 what a later read returns", async () => {
    const pkg = await createPackage({
      scripts: [
        { name: "a.js", content: sleepingScript(0) },
        { name: "b.js", content: sleepingScript(0, 'throw new Error("b failed");') },
        { name: "c.js", content: sleepingScript(0) },
      ],
    });
    const waited = await expectJson<ExecutionSnapshot & { id: string; d1_queries: number }>(
      await api("POST", `/packages/${pkg.id}/executions?wait=1`, {}),
      201,
    );
    expect(describeSnapshot(waited)).toBe("failed completed failed unprocessed");

    // The executor read the execution back in its last batch, so the body is the stored row.
    const read = await expectJson(await api("GET", `/executions/${waited.id}`), 200);
    expect(waited).toEqual(read);
  });

  it("runs with the package's settings", async () => {
    const pkg = await createPackage({
      scripts: [{ name: "a.js", content: 'import { context } from "ferris_ef";\nexport default async function main() {\n  console.log(context.config.get("mode"));\n}\n' }],
      config: { mode: "from-config" },
    });
    const execution = await expectJson<{ id: string; status: string }>(await api("POST", `/packages/${pkg.id}/executions?wait=1`, {}), 201);
    expect(execution.status).toBe("completed");

    const step = await expectJson<{ output: { text: string }[] }>(await api("GET", `/executions/${execution.id}/steps/1`), 200);
    expect(step.output.map((line) => line.text)).toEqual(["from-config"]);
  });
});
