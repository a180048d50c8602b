/**
 * Execution routes: start a run, list a package's runs, read a run and one step's results.
 * This file must not import "cloudflare:workers" (the site build imports the API in Node),
 * so the Executor is referenced by type only.
 */
import { OpenAPIHono, z } from "@hono/zod-openapi";
import type { JsonValue } from "../../executor/event";
import type { Executor } from "../../executor/executor";
import { decodeCursor, listExecutions, readExecution, readStep, type ExecutionDetails } from "../../executor/records";
import { auditActor } from "../../access/authorize";
import { RUNNABLE_PACKAGE_COLUMNS, startExecution, type RunnablePackage } from "../../executor/start";
import { MAX_PARAMS_BYTES, PLAYGROUND_MAX_STEP_TIMEOUT_MS } from "../../limits";
import type { Db } from "../../db";
import type { HonoEnv } from "../context";
import { ApiError, notFound } from "../errors";
import { secureRoute } from "../secure-route";
import { validationHook } from "../validation";

const ErrorSchema = z
  .object({ error: z.object({ code: z.string(), message: z.string(), details: z.unknown().optional() }) })
  .openapi("Error");

function errorResponse(description: string) {
  return { description, content: { "application/json": { schema: ErrorSchema } } };
}

const ExecutionStatus = z.enum(["pending", "in_progress", "completed", "failed"]);
const StepStatus = z.enum(["pending", "in_progress", "completed", "failed", "unprocessed"]);

const ExecutionSchema = z
  .object({
    id: z.string().openapi({ example: "exe_3f9a0c1d2e4b5a6c7d8e9f01" }),
    package_id: z.string(),
    package_name: z.string(),
    project_id: z.string(),
    status: ExecutionStatus,
    trigger: z.literal("manual"),
    params: z.record(z.string(), z.unknown()).openapi({ description: "Run-time parameters, built-in ones included." }),
    failure_reason: z
      .string()
      .nullable()
      .openapi({ description: "Why the run failed: step_failed, timeout, integrity or interrupted; null otherwise." }),
    created_at: z.string(),
    started_at: z.string().nullable(),
    finished_at: z.string().nullable(),
    duration_ms: z.number().int().nullable(),
    d1_queries: z.number().int().nullable().openapi({ description: "D1 statements the run issued, counted in code." }),
  })
  .openapi("Execution");

const StepSummarySchema = z
  .object({
    position: z.number().int(),
    file_name: z.string(),
    status: StepStatus,
    started_at: z.string().nullable(),
    finished_at: z.string().nullable(),
  })
  .openapi("StepSummary");

const ExecutionDetailsSchema = ExecutionSchema.extend({ steps: z.array(StepSummarySchema) }).openapi("ExecutionDetails");

const ExecutionListSchema = z
  .object({
    executions: z.array(ExecutionSchema),
    next_cursor: z.string().nullable().openapi({ description: "Pass as `cursor` for the next page; null on the last page." }),
  })
  .openapi("ExecutionList");

const StepResultSchema = z
  .object({
    position: z.number().int(),
    file_name: z.string(),
    status: StepStatus,
    output: z.array(
      z.object({ stream: z.enum(["log", "info", "warn", "error"]), time: z.string(), text: z.string() }).openapi("OutputLine"),
    ),
    output_truncated: z.boolean(),
    error: z.object({ message: z.string(), stack: z.string() }).nullable().openapi({ description: "Masked, with the script's own frames only." }),
    failure_reason: z.enum(["timeout", "error", "integrity", "interrupted"]).nullable(),
    provenance: z.array(
      z
        .object({
          name: z.string(),
          scope: z.enum(["package", "project", "platform"]),
          action: z.enum(["read", "write"]),
        })
        .openapi("Provenance"),
    ),
    started_at: z.string().nullable(),
    finished_at: z.string().nullable(),
  })
  .openapi("StepResult");

const RunRequestSchema = z
  .object({
    params: z
      .record(z.string(), z.unknown())
      .optional()
      .openapi({ description: `Run-time parameters: a JSON object of at most ${MAX_PARAMS_BYTES} bytes.`, example: { region: "eu" } }),
  })
  .strict()
  .openapi("RunRequest");

const PackageParams = z.object({ package: z.string().openapi({ param: { name: "package", in: "path" } }) });
const ExecutionParams = z.object({ execution: z.string().openapi({ param: { name: "execution", in: "path" } }) });

const startRoute = secureRoute(
  "project:run",
  "package",
  {
    method: "post",
    path: "/packages/{package}/executions",
    summary: "Run a package",
    description: "Queues a manual execution. With `wait=1` the response comes when the run has ended.",
    request: {
      params: PackageParams,
      query: z.object({ wait: z.enum(["0", "1"]).optional().openapi({ description: "1 waits for the run to end." }) }),
      body: { required: false, content: { "application/json": { schema: RunRequestSchema } } },
    },
    responses: {
      201: { description: "The run has ended (wait=1).", content: { "application/json": { schema: ExecutionDetailsSchema } } },
      202: { description: "The run is queued.", content: { "application/json": { schema: ExecutionDetailsSchema } } },
      400: errorResponse("The body is not a valid run request."),
      404: errorResponse("No such package in the workspace."),
      409: errorResponse("The package is inactive or does not allow manual runs."),
      413: errorResponse("The parameters are over the size limit."),
      503: errorResponse("The executor could not take the run."),
    },
  },
  // The route needs the package's runnable columns, so `requires` reads them with its check.
  { targetColumns: RUNNABLE_PACKAGE_COLUMNS },
);

const listRoute = secureRoute("project:read", "package", {
  method: "get",
  path: "/packages/{package}/executions",
  summary: "List a package's executions",
  description: "Newest first, in pages.",
  request: {
    params: PackageParams,
    query: z.object({
      limit: z.coerce.number().int().min(1).max(100).default(20).openapi({ description: "Page size, 1 to 100." }),
      cursor: z.string().optional().openapi({ description: "next_cursor of the previous page." }),
    }),
  },
  responses: {
    200: { description: "One page of executions.", content: { "application/json": { schema: ExecutionListSchema } } },
    400: errorResponse("The limit or cursor is invalid."),
    404: errorResponse("No such package in the workspace."),
  },
});

const getRoute = secureRoute("project:read", "execution", {
  method: "get",
  path: "/executions/{execution}",
  summary: "Read an execution",
  request: { params: ExecutionParams },
  responses: {
    200: { description: "The execution with its steps.", content: { "application/json": { schema: ExecutionDetailsSchema } } },
    404: errorResponse("No such execution in the workspace."),
  },
});

const stepRoute = secureRoute("project:read", "execution", {
  method: "get",
  path: "/executions/{execution}/steps/{position}",
  summary: "Read one step's results",
  description: "Masked output, the error, and which secrets the step read or wrote.",
  request: {
    params: ExecutionParams.extend({
      position: z.coerce.number().int().min(1).openapi({ param: { name: "position", in: "path" }, example: 1 }),
    }),
  },
  responses: {
    200: { description: "The step's results.", content: { "application/json": { schema: StepResultSchema } } },
    404: errorResponse("No such execution or step in the workspace."),
  },
});

export function executionRoutes() {
  return new OpenAPIHono<HonoEnv>({ defaultHook: validationHook })
    .openapi(startRoute, async (c) => {
      const db = c.get("db");
      const workspaceId = c.get("workspaceId");
      const packageId = c.req.valid("param").package;
      const body = (c.req.valid("json") as z.infer<typeof RunRequestSchema> | undefined) ?? {};
      const params = (body.params ?? {}) as Record<string, JsonValue>;
      checkParamsSize(params);

      // `requires` read the package's row with its workspace filter, so it is not read again.
      const pkg = c.get("target") as unknown as RunnablePackage;
      if (pkg.active !== 1) {
        throw new ApiError(409, "package_inactive", `Package ${JSON.stringify(pkg.name)} is inactive: set active to true to run it.`);
      }
      if (pkg.allow_manual_triggering !== 1) {
        throw new ApiError(
          409,
          "manual_trigger_disabled",
          `Package ${JSON.stringify(pkg.name)} does not allow manual runs: set allow_manual_triggering to true to run it.`,
        );
      }

      const event = await startExecution(db, workspaceId, pkg, params, {
        actor: auditActor(c.get("principal")),
        requestId: c.get("requestId"),
      });
      if (c.get("principal").playground) event.timeoutMs = Math.min(event.timeoutMs, PLAYGROUND_MAX_STEP_TIMEOUT_MS);
      const namespace = c.env.EXECUTOR as unknown as DurableObjectNamespace<Executor>;
      const executor = namespace.get(namespace.idFromName(pkg.id));
      const wait = c.req.valid("query").wait === "1";
      let ended = false;
      let execution: ExecutionDetails | null = null;
      try {
        ({ ended, execution } = await executor.submit(event, wait));
      } catch (error) {
        console.error(JSON.stringify({ event: "submit_failed", requestId: c.get("requestId"), executionId: event.executionId, error: String(error) }));
        if (await failUnstarted(db, workspaceId, event.executionId)) {
          throw new ApiError(503, "executor_unavailable", `The executor did not accept execution ${event.executionId}: run the package again.`);
        }
        // The executor had started the run and failed while this request waited. The response
        // shows the run as far as it got, and the executor (or its recovery after a restart) ends it.
      }

      // A run that a caller waits for reads itself back in its last batch, so only a run that
      // did not (no wait, or an interrupted run) is read here.
      execution ??= await readExecution(db, workspaceId, event.executionId);
      if (execution === null) throw notFound("Execution", event.executionId);
      return c.json(execution, ended ? 201 : 202);
    })
    .openapi(listRoute, async (c) => {
      const { limit, cursor } = c.req.valid("query");
      const decoded = cursor === undefined ? null : decodeCursor(cursor);
      if (cursor !== undefined && decoded === null) {
        throw new ApiError(400, "invalid_cursor", "The cursor is malformed: pass the next_cursor value of the previous page unchanged.");
      }
      const page = await listExecutions(c.get("db"), c.get("workspaceId"), c.req.valid("param").package, limit, decoded);
      return c.json(page, 200);
    })
    .openapi(getRoute, async (c) => {
      const executionId = c.req.valid("param").execution;
      const execution = await readExecution(c.get("db"), c.get("workspaceId"), executionId);
      if (execution === null) throw notFound("Execution", executionId);
      return c.json(execution, 200);
    })
    .openapi(stepRoute, async (c) => {
      const { execution: executionId, position } = c.req.valid("param");
      const step = await readStep(c.get("db"), c.get("workspaceId"), executionId, position);
      if (step === null) throw notFound("Step", `${executionId}/${position}`);
      return c.json(step, 200);
    });
}

/**
 * Marks a run that the executor never started as failed (executor_unavailable) and its steps
 * unprocessed. Returns false, and changes nothing, when the run has started, because the
 * executor then owns it and ends it itself.
 */
async function failUnstarted(db: Db, workspaceId: string, executionId: string): Promise<boolean> {
  const [execution] = await db.batch([
    db.prepare(
      "UPDATE executions SET status = 'failed', failure_reason = 'executor_unavailable', finished_at = ? " +
        "WHERE id = ? AND workspace_id = ? AND status = 'pending'",
      new Date().toISOString(),
      executionId,
      workspaceId,
    ),
    db.prepare(
      "UPDATE steps SET status = 'unprocessed' WHERE execution_id = ?1 AND workspace_id = ?2 AND EXISTS " +
        "(SELECT 1 FROM executions WHERE id = ?1 AND workspace_id = ?2 AND failure_reason = 'executor_unavailable')",
      executionId,
      workspaceId,
    ),
  ]);
  return (execution?.meta.changes ?? 0) > 0;
}

function checkParamsSize(params: Record<string, JsonValue>): void {
  const size = new TextEncoder().encode(JSON.stringify(params)).length;
  if (size > MAX_PARAMS_BYTES) {
    throw new ApiError(
      413,
      "params_too_large",
      `params is ${size} bytes of JSON, over the limit of ${MAX_PARAMS_BYTES}: pass less, or put large data in config.json.`,
      { field: "params", size, limit: MAX_PARAMS_BYTES },
    );
  }
}
