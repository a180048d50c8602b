/**
 * Secret routes for the three scopes. Uploads take the file's raw bytes, which the secret
 * policy parses itself, so the routes declare no zod body schema and nothing calls
 * JSON.parse on an upload. Responses carry names and times, never values.
 */
import { OpenAPIHono, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { auditActor } from "../../access/authorize";
import type { Owner } from "../../crypto/envelope";
import { checkSecretName, parseSecretsFile } from "../../secrets/policy";
import { deleteSecret, listSecretNames, writeSecrets, type SecretAuditContext } from "../../secrets/store";
import type { HonoEnv } from "../context";
import { ApiError } from "../errors";
import { requirePlatformKey } from "../platform-key";
import { secureRoute } from "../secure-route";
import { validationHook } from "../validation";

const ErrorSchema = z
  .object({
    error: z.object({
      code: z.string().openapi({ example: "invalid_name" }),
      message: z.string(),
      details: z.unknown().optional(),
    }),
  })
  .openapi("Error");

const SecretNameSchema = z
  .object({
    name: z.string().openapi({ example: "API_KEY" }),
    created_at: z.string().openapi({ example: "2026-12-01T10:00:00.000Z" }),
    updated_at: z.string().openapi({ example: "2026-12-01T10:00:00.000Z" }),
  })
  .openapi("SecretName");

const SecretListSchema = z.object({ secrets: z.array(SecretNameSchema) }).openapi("SecretList");

const SecretWriteResultSchema = z
  .object({
    written: z.number().int().openapi({ description: "How many secrets the upload wrote." }),
    secrets: z.array(z.string()).openapi({ description: "The written names, in file order." }),
  })
  .openapi("SecretWriteResult");

/** The upload body: a JSON object of names and values, sent as the file's raw bytes. */
const uploadBody = {
  required: true,
  description:
    "The secrets file's bytes: a UTF-8 JSON object of names and values. Values are any JSON value except null.",
  content: {
    "application/json": {
      schema: {
        type: "object" as const,
        additionalProperties: true,
        example: { API_KEY: "sk-live-example", RETRY_LIMIT: 3 },
      },
    },
  },
};

const ProjectParams = z.object({ project: z.string().openapi({ param: { name: "project", in: "path" } }) });
const PackageParams = z.object({ package: z.string().openapi({ param: { name: "package", in: "path" } }) });
const NameParam = z.string().openapi({ param: { name: "name", in: "path" }, example: "API_KEY" });

function errorResponse(description: string) {
  return { description, content: { "application/json": { schema: ErrorSchema } } };
}

const uploadErrors = {
  400: errorResponse("The file is not valid: encoding, JSON syntax, names or values."),
  403: errorResponse("The caller's role may not write these secrets."),
  404: errorResponse("The project or package is not visible to the caller."),
  409: errorResponse("A name differs only in letter case from a stored one."),
  413: errorResponse("The file, a value or the owner's number of secrets is over a limit."),
  500: errorResponse("PLATFORM_KEY is missing or malformed."),
};

function writeResponses(description: string) {
  return {
    200: { description, content: { "application/json": { schema: SecretWriteResultSchema } } },
    ...uploadErrors,
  };
}

function listResponses(description: string) {
  return {
    200: { description, content: { "application/json": { schema: SecretListSchema } } },
    403: errorResponse("The caller's role may not list these secrets."),
    404: errorResponse("The project is not visible to the caller."),
  };
}

const deleteResponses = {
  204: { description: "The secret was deleted." },
  400: errorResponse("The name is not a valid secret name."),
  403: errorResponse("The caller's role may not delete these secrets."),
  404: errorResponse("The owner or the secret was not found."),
};

const putProjectSecrets = secureRoute("project:secrets", "project", {
  method: "put",
  path: "/projects/{project}/secrets",
  summary: "Upsert project secrets",
  description: "Writes every secret in the file, all or nothing, and leaves the project's other secrets alone.",
  request: { params: ProjectParams, body: uploadBody },
  responses: writeResponses("Every secret in the file was written."),
});

const getProjectSecrets = secureRoute("project:read", "project", {
  method: "get",
  path: "/projects/{project}/secrets",
  summary: "List project secret names",
  request: { params: ProjectParams },
  responses: listResponses("The project's secret names, sorted by name."),
});

const deleteProjectSecret = secureRoute("project:secrets", "project", {
  method: "delete",
  path: "/projects/{project}/secrets/{name}",
  summary: "Delete a project secret",
  request: { params: ProjectParams.extend({ name: NameParam }) },
  responses: deleteResponses,
});

const putPlatformSecrets = secureRoute("workspace:admin", null, {
  method: "put",
  path: "/platform/secrets",
  summary: "Upsert platform secrets",
  description: "Writes workspace-wide secrets, all or nothing, and leaves the other platform secrets alone.",
  request: { body: uploadBody },
  responses: writeResponses("Every secret in the file was written."),
});

const getPlatformSecrets = secureRoute("workspace:admin", null, {
  method: "get",
  path: "/platform/secrets",
  summary: "List platform secret names",
  responses: listResponses("The workspace's platform secret names, sorted by name."),
});

const deletePlatformSecret = secureRoute("workspace:admin", null, {
  method: "delete",
  path: "/platform/secrets/{name}",
  summary: "Delete a platform secret",
  request: { params: z.object({ name: NameParam }) },
  responses: deleteResponses,
});

const putPackageSecrets = secureRoute("project:secrets", "package", {
  method: "put",
  path: "/packages/{package}/secrets",
  summary: "Replace package secrets",
  description: "Replaces the package's secrets with the secrets.json file: names absent from the file are deleted.",
  request: { params: PackageParams, body: uploadBody },
  responses: writeResponses("The package's secrets are now exactly the file's."),
});

type AppContext = Context<HonoEnv>;

export function secretRoutes() {
  return new OpenAPIHono<HonoEnv>({ defaultHook: validationHook })
    .openapi(putProjectSecrets, async (c) => {
      return c.json(await upload(c, projectOwner(c), { replace: false, fileLabel: "The request body" }), 200);
    })
    .openapi(getProjectSecrets, async (c) => {
      return c.json({ secrets: await listSecretNames(c.get("db"), projectOwner(c)) }, 200);
    })
    .openapi(deleteProjectSecret, async (c) => {
      await removeSecret(c, projectOwner(c), c.req.valid("param").name);
      return c.body(null, 204);
    })
    .openapi(putPlatformSecrets, async (c) => {
      return c.json(await upload(c, platformOwner(c), { replace: false, fileLabel: "The request body" }), 200);
    })
    .openapi(getPlatformSecrets, async (c) => {
      return c.json({ secrets: await listSecretNames(c.get("db"), platformOwner(c)) }, 200);
    })
    .openapi(deletePlatformSecret, async (c) => {
      await removeSecret(c, platformOwner(c), c.req.valid("param").name);
      return c.body(null, 204);
    })
    .openapi(putPackageSecrets, async (c) => {
      const owner = packageOwner(c, c.req.valid("param").package);
      return c.json(await upload(c, owner, { replace: true, fileLabel: "secrets.json" }), 200);
    });
}

/** Parses the raw request body with the secret policy and writes it in one batch. */
async function upload(
  c: AppContext,
  owner: Owner,
  options: { replace: boolean; fileLabel: string },
): Promise<{ written: number; secrets: string[] }> {
  const parsed = parseSecretsFile(await c.req.arrayBuffer(), options.fileLabel);
  if (!parsed.ok) throw parsed.error;

  const platform = await requirePlatformKey(c.env, c.get("requestId"));
  await writeSecrets(c.get("db"), platform, owner, parsed.entries, {
    replace: options.replace,
    actor: c.get("actor").id,
    audit: auditContext(c),
  });

  // A count only: the log never carries a name list or a value.
  console.log(
    JSON.stringify({
      event: "secrets_written",
      requestId: c.get("requestId"),
      scope: owner.scope,
      ownerId: owner.ownerId,
      count: parsed.entries.length,
      replace: options.replace,
    }),
  );
  return { written: parsed.entries.length, secrets: parsed.entries.map((entry) => entry.name) };
}

async function removeSecret(c: AppContext, owner: Owner, name: string): Promise<void> {
  const reason = checkSecretName(name);
  if (reason !== null) {
    throw new ApiError(400, "invalid_name", `Invalid secret name ${JSON.stringify(name)}: it ${reason}.`, [
      { key: name, reason },
    ]);
  }

  if (!(await deleteSecret(c.get("db"), owner, name, auditContext(c)))) {
    throw new ApiError(
      404,
      "not_found",
      `The ${owner.scope} ${owner.ownerId} has no secret ${JSON.stringify(name)}: names are matched exactly, ` +
        "so check the spelling and letter case in the secret listing.",
    );
  }
}

function auditContext(c: AppContext): SecretAuditContext {
  return { actor: auditActor(c.get("principal")), requestId: c.get("requestId"), projectId: c.get("projectId") };
}

// The `requires` middleware of each route has already checked that the project or package
// is in the caller's workspace and visible to the caller, and set `projectId`.

function projectOwner(c: AppContext): Owner {
  const projectId = c.get("projectId");
  if (projectId === null) throw new Error("A project secret route ran without a resolved project.");
  return { workspaceId: c.get("workspaceId"), scope: "project", ownerId: projectId };
}

function packageOwner(c: AppContext, packageId: string): Owner {
  return { workspaceId: c.get("workspaceId"), scope: "package", ownerId: packageId };
}

function platformOwner(c: AppContext): Owner {
  const workspaceId = c.get("workspaceId");
  return { workspaceId, scope: "platform", ownerId: workspaceId };
}
