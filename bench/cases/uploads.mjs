// Uploads: PUT /api/packages/{id}/secrets with a secrets.json of 10 keys and of 1,000 keys,
// alternately, each replacing the package's secrets.
import { performance } from "node:perf_hooks";
import { secretSet } from "../lib/scripts.mjs";
import { round, summarize, median } from "../lib/stats.mjs";

const SIZES = [10, 1000];

export async function runUploads({ api, plan, projectId }) {
  const created = await api.uploadPackage(projectId, {
    name: "bench-uploads",
    scripts: [{ fileName: "noop.js", source: "export default async function main() {}\n" }],
  });

  const files = Object.fromEntries(SIZES.map((size) => [size, JSON.stringify(secretSet("UPLOAD", size, 32))]));
  const samples = Object.fromEntries(SIZES.map((size) => [size, []]));

  const upload = async (size) => {
    const started = performance.now();
    const { body } = await api.putPackageSecrets(created.id, files[size]);
    const elapsed = performance.now() - started;
    if (typeof body?.written === "number" && body.written !== size) {
      throw new Error(`PUT of ${size} secrets reported ${body.written} written.`);
    }
    return elapsed;
  };

  for (let i = 0; i < plan.uploads.warmup; i += 1) for (const size of SIZES) await upload(size);
  for (let i = 0; i < plan.uploads.repetitions; i += 1) for (const size of SIZES) samples[size].push(await upload(size));

  return {
    keys_10: { bytes: files[10].length, ...summarize(samples[10]) },
    keys_1000: { bytes: files[1000].length, ...summarize(samples[1000]) },
    ratio: round(median(samples[1000]) / median(samples[10])),
  };
}
