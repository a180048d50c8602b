import { OpenAPIHono, z } from "@hono/zod-openapi";
import { secureRoute } from "../secure-route";
import type { HonoEnv } from "../context";
import { validationHook } from "../validation";

const HealthSchema = z.object({ status: z.literal("ok") }).openapi("Health");

const getHealth = secureRoute("public", null, {
  method: "get",
  path: "/health",
  summary: "Check that the API answers",
  responses: {
    200: { description: "The API is up.", content: { "application/json": { schema: HealthSchema } } },
  },
});

export function healthRoutes() {
  return new OpenAPIHono<HonoEnv>({ defaultHook: validationHook }).openapi(getHealth, (c) =>
    c.json({ status: "ok" as const }, 200),
  );
}
