import { OpenAPIHono, z } from "@hono/zod-openapi";
import type { HonoEnv } from "../context";
import { secureRoute } from "../secure-route";
import { validationHook } from "../validation";

const SettingsSchema = z
  .object({
    allow_script_platform_secrets: z.boolean().openapi({
      description: "Whether scripts may write platform secrets with context.secrets.set. On by default.",
    }),
  })
  .openapi("WorkspaceSettings");

const getSettings = secureRoute("workspace:admin", null, {
  method: "get",
  path: "/workspace/settings",
  summary: "Read the workspace settings",
  responses: { 200: { description: "The settings.", content: { "application/json": { schema: SettingsSchema } } } },
});

const updateSettings = secureRoute("workspace:admin", null, {
  method: "patch",
  path: "/workspace/settings",
  summary: "Change the workspace settings",
  request: { body: { required: true, content: { "application/json": { schema: SettingsSchema.partial().strict() } } } },
  responses: { 200: { description: "The settings after the change.", content: { "application/json": { schema: SettingsSchema } } } },
});

export function workspaceRoutes() {
  const app = new OpenAPIHono<HonoEnv>({ defaultHook: validationHook });

  app.openapi(getSettings, async (c) => {
    const row = await c.get("db").first<{ allow_script_platform_secrets: number }>(
      "SELECT allow_script_platform_secrets FROM workspaces WHERE id = ?",
      c.get("principal").workspaceId,
    );
    return c.json({ allow_script_platform_secrets: row?.allow_script_platform_secrets === 1 }, 200);
  });

  app.openapi(updateSettings, async (c) => {
    const body = c.req.valid("json");
    const db = c.get("db");
    const workspaceId = c.get("principal").workspaceId;
    if (body.allow_script_platform_secrets !== undefined) {
      await db.run(
        "UPDATE workspaces SET allow_script_platform_secrets = ? WHERE id = ?",
        body.allow_script_platform_secrets ? 1 : 0,
        workspaceId,
      );
    }
    const row = await db.first<{ allow_script_platform_secrets: number }>(
      "SELECT allow_script_platform_secrets FROM workspaces WHERE id = ?",
      workspaceId,
    );
    return c.json({ allow_script_platform_secrets: row?.allow_script_platform_secrets === 1 }, 200);
  });

  return app;
}
