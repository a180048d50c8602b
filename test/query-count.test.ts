/**
 * The D1 statement count of a run must not depend on how many secrets its script reads: the
 * API loads every scope's encrypted secrets in one batch, and the executor decrypts values
 * from that event without going back to D1.
 */
import { describe, expect, it } from "vitest";
import { api, createPackage, createProject, expectJson, uniqueName } from "./helpers/api";

/** How the 100 secrets of the larger run are spread over the scopes. */
const SPREAD = { package: 34, project: 33, platform: 33 } as const;

type Scope = keyof typeof SPREAD;

interface Execution {
  id: string;
  status: string;
  failure_reason: string | null;
  d1_queries: number | null;
}

interface Step {
  output: { stream: string; text: string }[];
  provenance: { name: string; scope: Scope; action: string }[];
}

function secretSet(prefix: string, count: number): Record<string, string> {
  const secrets: Record<string, string> = {};
  for (let i = 0; i < count; i += 1) {
    const name = `${prefix}_${String(i).padStart(3, "0")}`;
    secrets[name] = `value-of-${name.toLowerCase()}`;
  }
  return secrets;
}

/** Builds a step that reads each named secret, throws on a wrong value and prints the count read. */
function readSecretsScript(expected: Record<string, string>): string {
  return `import { get_secret } from "ferris_ef";

const EXPECTED = ${JSON.stringify(expected)};

export default async function main() {
  let read = 0;
  for (const [name, value] of Object.entries(EXPECTED)) {
    if ((await get_secret(name)) !== value) throw new Error("secret " + name + " was not the uploaded value");
    read += 1;
  }
  console.log("read " + read + " secrets");
}
`;
}

async function runAndWait(packageId: string): Promise<Execution> {
  const execution = await expectJson<Execution>(await api("POST", `/packages/${packageId}/executions?wait=1`, {}), 201);
  expect(execution.status, `execution ${execution.id} failed: ${execution.failure_reason}`).toBe("completed");
  return execution;
}

async function firstStep(executionId: string): Promise<Step> {
  return expectJson<Step>(await api("GET", `/executions/${executionId}/steps/1`), 200);
}

function countByScope(step: Step): Record<Scope, number> {
  const counts: Record<Scope, number> = { package: 0, project: 0, platform: 0 };
  for (const entry of step.provenance) if (entry.action === "read") counts[entry.scope] += 1;
  return counts;
}

describe("D1 statement count of a run", () => {
  it("is the same for 1 and 100 secrets read", async () => {
    // Unique prefixes, because platform secrets are shared by the whole workspace.
    const tag = uniqueName("qc").replace(/-/g, "_").toUpperCase();
    const packageSecrets = secretSet(`${tag}_PKG`, SPREAD.package);
    const projectSecrets = secretSet(`${tag}_PRJ`, SPREAD.project);
    const platformSecrets = secretSet(`${tag}_PLT`, SPREAD.platform);

    const project = await createProject();
    await expectJson(await api("PUT", `/projects/${project.id}/secrets`, JSON.stringify(projectSecrets)), 200);
    await expectJson(await api("PUT", "/platform/secrets", JSON.stringify(platformSecrets)), 200);

    const [firstName] = Object.keys(packageSecrets) as [string];
    const oneSecret = { [firstName]: packageSecrets[firstName]! };
    const allSecrets = { ...packageSecrets, ...projectSecrets, ...platformSecrets };

    const readOne = await createPackage({
      project: project.id,
      scripts: [{ name: "read_one.js", content: readSecretsScript(oneSecret) }],
      secrets: packageSecrets,
    });
    const readHundred = await createPackage({
      project: project.id,
      scripts: [{ name: "read_hundred.js", content: readSecretsScript(allSecrets) }],
      secrets: packageSecrets,
    });

    const oneSecretRun = await runAndWait(readOne.id);
    const hundredSecretRun = await runAndWait(readHundred.id);

    // The runs did read what they claim: provenance lists each read with its scope.
    const oneStep = await firstStep(oneSecretRun.id);
    const hundredStep = await firstStep(hundredSecretRun.id);
    expect(oneStep.output.map((line) => line.text)).toContain("read 1 secrets");
    expect(hundredStep.output.map((line) => line.text)).toContain("read 100 secrets");
    expect(countByScope(oneStep)).toEqual({ package: 1, project: 0, platform: 0 });
    expect(countByScope(hundredStep)).toEqual(SPREAD);

    expect(Number.isInteger(oneSecretRun.d1_queries)).toBe(true);
    expect(oneSecretRun.d1_queries).toBeGreaterThan(0);
    expect(hundredSecretRun.d1_queries).toBe(oneSecretRun.d1_queries);
  });

  it("is the same on a second run of a package", async () => {
    const created = await createPackage({
      scripts: [{ name: "read_one.js", content: readSecretsScript({ ONLY: "only-value" }) }],
      secrets: { ONLY: "only-value" },
    });

    // The count is a fixed cost of the run path, so a package's first run costs what later ones do.
    const first = await runAndWait(created.id);
    const second = await runAndWait(created.id);
    expect(second.d1_queries).toBe(first.d1_queries);
  });
});
