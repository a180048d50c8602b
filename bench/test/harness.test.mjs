// Tests of the benchmark's own helpers, run with `node --test bench/test/*.test.mjs`. They need no
// Worker: the cases themselves are exercised by running the benchmark.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { bindingNames } from "../lib/config-check.mjs";
import { updatePage } from "../lib/page.mjs";
import { targetLines } from "../lib/report.mjs";
import { median, percentile } from "../lib/stats.mjs";

describe("percentile", () => {
  it("uses the nearest rank", () => {
    const samples = Array.from({ length: 20 }, (_, index) => index + 1);
    assert.equal(percentile(samples, 95), 19);
    assert.equal(percentile(samples, 100), 20);
    assert.equal(percentile(samples, 0), 1);
  });

  it("ignores sample order", () => {
    assert.equal(percentile([5, 1, 4, 2, 3], 50), 3);
  });

  it("returns null without samples", () => {
    assert.equal(percentile([], 95), null);
  });
});

describe("median", () => {
  it("averages the two middle samples", () => {
    assert.equal(median([4, 1, 3, 2]), 2.5);
  });

  it("takes the middle of an odd count", () => {
    assert.equal(median([9, 1, 5]), 5);
  });
});

describe("bindingNames", () => {
  it("lists array-table and assets bindings", () => {
    const toml = [
      'name = "worker"',
      "[assets]",
      'binding = "ASSETS"',
      "[[d1_databases]]",
      'binding = "DB"',
      'database_name = "db"',
      "[[durable_objects.bindings]]",
      'name = "EXECUTOR"',
      'class_name = "Executor"',
      "[[migrations]]",
      'tag = "v1"',
      "[[ratelimits]]",
      'name = "API_RATE_LIMIT"',
    ].join("\n");
    assert.deepEqual([...bindingNames(toml)].sort(), ["API_RATE_LIMIT", "ASSETS", "DB", "EXECUTOR"]);
  });

  it("skips the top-level worker name", () => {
    assert.equal(bindingNames('name = "worker"\nmain = "index.ts"').size, 0);
  });
});

describe("targetLines", () => {
  const figures = {
    floor: { floor: { median_ms: 10 } },
    example: { median_ms: 25 },
    steps: { per_step_overhead_ms: 5 },
    classic: { trivial_step: { median_ms: 60 } },
    secrets: { one_secret: { d1_queries: 12 }, hundred_secrets: { d1_queries: 15 } },
    throughput: { levels: [{ completed_fraction: 1 }, { completed_fraction: 0.99 }] },
    uploads: { ratio: 3 },
  };
  const byName = Object.fromEntries(targetLines(figures).map((line) => [line.name, line]));

  it("marks a ratio above its limit missed", () => {
    assert.equal(byName["example run median / floor median"].value, 2.5);
    assert.equal(byName["example run median / floor median"].met, false);
  });

  it("marks ratios within their limits met", () => {
    assert.equal(byName["per-step overhead / floor median"].met, true);
    assert.equal(byName["classic per step / our per-step overhead"].met, true);
    assert.equal(byName["1,000-key upload / 10-key upload"].met, true);
  });

  it("misses more than two extra D1 queries", () => {
    assert.equal(byName["D1 queries (100-secret run) - D1 queries (1-secret run)"].value, 3);
    assert.equal(byName["D1 queries (100-secret run) - D1 queries (1-secret run)"].met, false);
  });

  it("misses a throughput level under 100%", () => {
    assert.equal(byName["throughput runs that ended completed (lowest level)"].met, false);
  });

  it("leaves missing figures unmeasured", () => {
    const lines = targetLines({});
    assert.ok(lines.every((line) => line.met === null));
  });
});

describe("updatePage", () => {
  const report = {
    generated_at: "2026-01-02T03:04:05.000Z",
    mode: "quick",
    git_commit: "abc1234",
    git_uncommitted_changes: false,
    machine: { cpu_model: "Test CPU", cores: 2, total_memory_bytes: 2 ** 31, platform: "linux x64", node: "v24", wrangler: "4" },
    figures: { floor: { floor: { median_ms: 7, p95_ms: 8, count: 3 } } },
    targets: [],
  };

  it("replaces only the text between the markers", () => {
    const directory = mkdtempSync(join(tmpdir(), "bench-page-"));
    try {
      const path = join(directory, "page.md");
      writeFileSync(path, "before\n<!-- bench:figures:start -->\nold\n<!-- bench:figures:end -->\nafter\n");
      updatePage(path, report);
      const page = readFileSync(path, "utf8");
      assert.ok(page.startsWith("before\n<!-- bench:figures:start -->"));
      assert.ok(page.endsWith("<!-- bench:figures:end -->\nafter\n"));
      assert.ok(!page.includes("old"));
      assert.match(page, /\| Floor: bare dynamic worker \| 7\.00 ms \| 8\.00 ms \| 3 \|/);
      assert.match(page, /on Test CPU, 2 cores/);
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });

  it("rejects a page without markers", () => {
    const directory = mkdtempSync(join(tmpdir(), "bench-page-"));
    try {
      const path = join(directory, "page.md");
      writeFileSync(path, "no markers\n");
      assert.throws(() => updatePage(path, report), /lacks the <!-- bench:figures:start -->/);
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });
});
