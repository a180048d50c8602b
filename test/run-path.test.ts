/**
 * The run path as a client sees it: the statuses that GET /executions/{id} shows while a run
 * is in progress, which the playground polls.
 */
import { describe, expect, it } from "vitest";
import { api, createPackage, expectJson } from "./helpers/api";

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
