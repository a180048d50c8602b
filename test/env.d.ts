import type { D1Migration } from "@cloudflare/vitest-plugin";

declare global {
  namespace Cloudflare {
    interface Env {
      TEST_MIGRATIONS: D1Migration[];
      PLATFORM_KEY: string;
      PLATFORM_KEY_PREVIOUS: string;
      ADMIN_TOKEN: string;
    }
  }
}
