import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

// Miniflare would otherwise download Request.cf data from Cloudflare at start.
process.env.CLOUDFLARE_CF_FETCH_ENABLED ??= "false";
process.env.WRANGLER_SEND_METRICS ??= "false";

export default defineConfig(async () => {
  const migrations = await readD1Migrations("migrations");
  return {
    test: {
      projects: [
        {
          plugins: [
            cloudflareTest({
              wrangler: { configPath: "./wrangler.toml" },
              miniflare: {
                bindings: {
                  TEST_MIGRATIONS: migrations,
                  // Fixed test keys: 32 bytes of base64 and a token, never used outside tests.
                  PLATFORM_KEY: "dGVzdC1wbGF0Zm9ybS1rZXktMzItYnl0ZXMtbG9uZyE=",
                  // The retired key of a rotation in progress: only the key rotation tests wrap data keys with it.
                  PLATFORM_KEY_PREVIOUS: "dGVzdC1wcmV2aW91cy1wbGF0Zm9ybS1rZXktMzJieSE=",
                  ADMIN_TOKEN: "test-admin-token",
                },
                // The whole suite shares the test admin token, so its per-token limit is raised
                // here; the failed-authentication limit keeps its deployed value.
                ratelimits: {
                  API_RATE_LIMIT: { namespace_id: "1001", simple: { limit: 1_000_000, period: 60 } },
                  AUTH_FAILURE_RATE_LIMIT: { namespace_id: "1002", simple: { limit: 20, period: 60 } },
                  SESSION_RATE_LIMIT: { namespace_id: "1003", simple: { limit: 10, period: 60 } },
                },
              },
            }),
          ],
          test: {
            name: "workers",
            // Projects run one after another (workers, node, browser), so that a two-core
            // machine never runs workerd tests beside the browser's dev server.
            sequence: { groupOrder: 0 },
            include: ["test/**/*.test.ts"],
            exclude: ["test/browser/**", "test/node/**"],
            setupFiles: ["test/setup.ts"],
            // Two cores: one worker pool process per core at most.
            maxWorkers: 2,
            testTimeout: 30_000,
          },
        },
        {
          // Node-side checks of the build and deploy tooling, such as `wrangler deploy --dry-run`.
          test: {
            name: "node",
            sequence: { groupOrder: 1 },
            include: ["test/node/**/*.test.ts"],
            environment: "node",
            globalSetup: ["test/node/global-setup.ts"],
            testTimeout: 120_000,
          },
        },
        {
          // Node-side tests that drive headless Chromium against one `wrangler dev` on
          // 127.0.0.1, which the global setup starts after building the site if it is stale.
          test: {
            name: "browser",
            sequence: { groupOrder: 2 },
            include: ["test/browser/**/*.test.ts"],
            environment: "node",
            globalSetup: ["test/browser/global-setup.ts"],
            // One browser and one dev server share two cores, so files run one at a time.
            fileParallelism: false,
            testTimeout: 120_000,
            hookTimeout: 180_000,
          },
        },
      ],
    },
  };
});
