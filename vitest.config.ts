import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

export default defineConfig(async () => {
  const migrations = await readD1Migrations("migrations");
  return {
    plugins: [
      cloudflareTest({
        wrangler: { configPath: "./wrangler.toml" },
        miniflare: {
          bindings: {
            TEST_MIGRATIONS: migrations,
            // Fixed test keys: 32 bytes of base64 and a token, never used outside tests.
            PLATFORM_KEY: "dGVzdC1wbGF0Zm9ybS1rZXktMzItYnl0ZXMtbG9uZyE=",
            ADMIN_TOKEN: "test-admin-token",
          },
        },
      }),
    ],
    test: {
      include: ["test/**/*.test.ts"],
      setupFiles: ["test/setup.ts"],
      // Two cores: one worker pool process per core at most.
      maxWorkers: 2,
      testTimeout: 30_000,
    },
  };
});
