// Uploads: PUT /api/packages/{id}/secrets with a secrets.json of 10 keys and of 1,000 keys,
// alternately, each replacing the package's secrets.
import { performance } from "node:perf_hooks";
import { secretSet } from "../lib/scripts.mjs";
import { addCpu, perRun } from "../lib/cpu.mjs";
import { round, summarize, median } from "../lib/stats.mjs";

const SIZES = [10, 1000];

export async function runUploads({ api, plan, projectId, serverCpu }) {
  const created = await api.uploadPackage(projectId, {
    name: "bench-uploads",
    scripts: [{ fileName: "noop.js", source: "export default async function main() {}\n" }],
  });

  const files = Object.fromEntries(SIZES.map((size) => [size, JSON.stringify(secretSet("UPLOAD", size, 32))]));
  const samples = Object.fromEntries(SIZES.map((size) => [size, []]));
  const cpu = Object.fromEntries(SIZES.map((size) => [size, {}]));

  const upload = async (size) => {
    const before = serverCpu();
    const started = performance.now();
    const { body } = await api.putPackageSecrets(created.id, files[size]);
    const elapsed = performance.now() - started;
    cpu[size] = addCpu(cpu[size], before, serverCpu());
    if (typeof body?.written === "number" && body.written !== size) {
      throw new Error(`PUT of ${size} secrets reported ${body.written} written.`);
    }
    return elapsed;
  };

  for (let i = 0; i < plan.uploads.warmup; i += 1) for (const size of SIZES) await upload(size);
  for (const size of SIZES) cpu[size] = {};
  for (let i = 0; i < plan.uploads.repetitions; i += 1) for (const size of SIZES) samples[size].push(await upload(size));

  const runs = plan.uploads.repetitions;
  return {
    keys_10: { bytes: files[10].length, ...summarize(samples[10]), server_cpu_ms_per_request: perRun(cpu[10], runs) },
    keys_1000: { bytes: files[1000].length, ...summarize(samples[1000]), server_cpu_ms_per_request: perRun(cpu[1000], runs) },
    ratio: round(median(samples[1000]) / median(samples[10])),
  };
}
