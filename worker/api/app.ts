/**
 * The edge API: a Hono app with OpenAPI route schemas. Routes live in ./routes, one file
 * per resource; this file wires the middleware, the error shape and the OpenAPI document.
 */
import { OpenAPIHono } from "@hono/zod-openapi";
import { bodyLimit } from "hono/body-limit";
import { Db } from "../db";
import { ApiError } from "./errors";
import { validationHook } from "./validation";
import { authenticate } from "./auth";
import type { HonoEnv } from "./context";
import { executionRoutes } from "./routes/executions";
import { healthRoutes } from "./routes/health";
import { packageRoutes } from "./routes/packages";
import { platformKeyRoutes } from "./routes/platform-key";
import { playgroundRoutes } from "./routes/playground";
import { projectRoutes } from "./routes/projects";
import { secretRoutes } from "./routes/secrets";
import { auditRoutes } from "./routes/audit";
import { tokenRoutes } from "./routes/tokens";
import { workspaceRoutes } from "./routes/workspace";
import { RATE_LIMIT_PERIOD_SECONDS, RateLimitedError } from "../access/rate-limit";
import { contentSecurityPolicy, SECURITY_HEADERS } from "../http/security-headers";
import { MAX_REQUEST_BYTES } from "../limits";

export function createApp(): OpenAPIHono<HonoEnv> {
  const app = new OpenAPIHono<HonoEnv>({ defaultHook: validationHook });

  app.use("/api/*", async (c, next) => {
    c.set("requestId", c.req.header("cf-ray") ?? crypto.randomUUID());
    c.set("db", new Db(c.env.DB));
    await next();
    c.header("x-request-id", c.get("requestId"));
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) c.header(name, value);
    c.header("content-security-policy", contentSecurityPolicy());
  });

  app.use(
    "/api/*",
    bodyLimit({
      maxSize: MAX_REQUEST_BYTES,
      onError: () => {
        throw new ApiError(
          413,
          "payload_too_large",
          `The request body is larger than ${MAX_REQUEST_BYTES} bytes: split the upload or shrink the files.`,
        );
      },
    }),
  );

  // The document is built on each request from every route registered, later ones included.
  app.openAPIRegistry.registerComponent("securitySchemes", "bearer", { type: "http", scheme: "bearer" });
  app.doc31("/api/openapi.json", {
    openapi: "3.1.0",
    info: {
      title: "Ferris Edge API",
      version: "1",
      description: "Upload packages with encrypted secrets, run them, and read each step's results.",
    },
    security: [{ bearer: [] }],
  });

  app.route("/api", healthRoutes());
  // Before authentication: these routes create the session cookie that authenticates.
  app.route("/api", playgroundRoutes());
  app.use("/api/*", authenticate);
  app.route("/api", projectRoutes());
  app.route("/api", packageRoutes());
  app.route("/api", secretRoutes());
  app.route("/api", executionRoutes());
  app.route("/api", tokenRoutes());
  app.route("/api", auditRoutes());
  app.route("/api", workspaceRoutes());
  app.route("/api", platformKeyRoutes());

  app.notFound((c) => {
    const error = new ApiError(404, "not_found", `No route matches ${c.req.method} ${new URL(c.req.url).pathname}.`);
    return c.json(error.toBody(), 404);
  });

  app.onError((err, c) => {
    if (err instanceof RateLimitedError) c.header("retry-after", String(RATE_LIMIT_PERIOD_SECONDS));
    if (err instanceof ApiError) return c.json(err.toBody(), err.status);

    // The client gets no detail of an unexpected error; the log gets it with the request id.
    console.error(JSON.stringify({ event: "unhandled_error", requestId: c.get("requestId"), error: String(err), stack: err.stack }));
    const body = new ApiError(500, "internal_error", `An internal error occurred; quote request id ${c.get("requestId")} when reporting it.`);
    return c.json(body.toBody(), 500);
  });

  return app;
}
