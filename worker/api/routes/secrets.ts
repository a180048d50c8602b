import { OpenAPIHono } from "@hono/zod-openapi";
import type { HonoEnv } from "../context";
import { validationHook } from "../validation";

export function secretRoutes() {
  return new OpenAPIHono<HonoEnv>({ defaultHook: validationHook });
}
