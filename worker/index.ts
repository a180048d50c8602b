/**
 * The Worker entry: the edge API under /api/*, static assets for everything else (wrangler.toml
 * sends only /api/* here first), and the classes that wrangler.toml binds.
 */
import { createApp } from "./api/app";
import { sweepExpiredWorkspaces } from "./api/session";
import { Db } from "./db";
import type { AppEnv } from "./env";

export { Executor } from "./executor/executor";
export { OutboundGate } from "./executor/bridge";

const app = createApp();

export default {
  fetch(request, env, ctx) {
    const url = new URL(request.url);
    if (url.pathname === "/api" || url.pathname.startsWith("/api/")) return app.fetch(request, env, ctx);
    return env.ASSETS.fetch(request);
  },

  // The cron trigger in wrangler.toml: delete playground workspaces idle for a day.
  scheduled(_controller, env, ctx) {
    ctx.waitUntil(sweepExpiredWorkspaces(new Db(env.DB)).then(() => undefined));
  },
} satisfies ExportedHandler<AppEnv>;
