import { OpenAPIHono, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { auditActor } from "../../access/authorize";
import { findPackage, findScriptSource, listPackages } from "../../packages/repository";
import {
  errorResponse,
  jsonResponse,
  PackageDetailsSchema,
  PackageSummarySchema,
  packageUploadSchema,
  scriptsUploadSchema,
  toPackageSummary,
  UpdatePackageBody,
} from "../../packages/schemas";
import {
  createPackage,
  deletePackage,
  loadPackageDetails,
  replaceScripts,
  updatePackage,
  type WriteContext,
} from "../../packages/service";
import { parsePackageForm, parseScriptsForm, readMultipart, SECRETS_FILE } from "../../packages/upload";
import type { HonoEnv } from "../context";
import { notFound } from "../errors";
import { requirePlatformKey } from "../platform-key";
import { secureRoute } from "../secure-route";
import { validationHook } from "../validation";

const ProjectParams = z.object({ project: z.string() });
const PackageParams = z.object({ package: z.string() });

const uploadErrors = {
  400: errorResponse("A field or file is invalid; the message names it and says what to fix."),
  404: errorResponse("No such project or package in the workspace."),
  413: errorResponse("A file or the number of scripts is over its limit."),
  415: errorResponse("The body is not multipart/form-data."),
};

const createPackageRoute = secureRoute("project:write", "project", {
  method: "post",
  path: "/projects/{project}/packages",
  summary: "Upload a package",
  description:
    "Takes multipart/form-data. Scripts are stored in execution order: manifest.json's execution_order, " +
    "else upload order. Nothing is stored unless every field and file is valid.",
  request: {
    params: ProjectParams,
    body: { required: true, content: { "multipart/form-data": { schema: packageUploadSchema } } },
  },
  responses: {
    201: jsonResponse(PackageDetailsSchema, "The new package."),
    ...uploadErrors,
    409: errorResponse("A package with this name exists in the project."),
  },
});

const listPackagesRoute = secureRoute("project:read", "project", {
  method: "get",
  path: "/projects/{project}/packages",
  summary: "List a project's packages",
  request: { params: ProjectParams },
  responses: {
    200: jsonResponse(z.object({ packages: z.array(PackageSummarySchema) }), "Packages sorted by name."),
    404: errorResponse("No such project in the workspace."),
  },
});

const getPackageRoute = secureRoute("project:read", "package", {
  method: "get",
  path: "/packages/{package}",
  summary: "Get a package's details",
  request: { params: PackageParams },
  responses: {
    200: jsonResponse(PackageDetailsSchema, "The package, with script metadata and secret names but no values."),
    404: errorResponse("No such package in the workspace."),
  },
});

const updatePackageRoute = secureRoute("project:write", "package", {
  method: "patch",
  path: "/packages/{package}",
  summary: "Change a package's settings, config or script order",
  request: {
    params: PackageParams,
    body: { required: true, content: { "application/json": { schema: UpdatePackageBody } } },
  },
  responses: {
    200: jsonResponse(PackageDetailsSchema, "The updated package."),
    400: errorResponse("A field is invalid."),
    404: errorResponse("No such package in the workspace."),
  },
});

const replaceScriptsRoute = secureRoute("project:write", "package", {
  method: "put",
  path: "/packages/{package}/scripts",
  summary: "Replace every script of a package",
  description: "The uploaded scripts replace the old ones, in upload order, with the checks of a package upload.",
  request: {
    params: PackageParams,
    body: { required: true, content: { "multipart/form-data": { schema: scriptsUploadSchema } } },
  },
  responses: { 200: jsonResponse(PackageDetailsSchema, "The package with its new scripts."), ...uploadErrors },
});

const deletePackageRoute = secureRoute("project:write", "package", {
  method: "delete",
  path: "/packages/{package}",
  summary: "Delete a package",
  description: "Deletes the package, its scripts, secrets, data key and state. Its executions stay readable.",
  request: { params: PackageParams },
  responses: {
    204: { description: "The package was deleted." },
    404: errorResponse("No such package in the workspace."),
  },
});

const getScriptRoute = secureRoute("project:read", "package", {
  method: "get",
  path: "/packages/{package}/scripts/{file}",
  summary: "Get a script's source",
  description: "secrets.json is never served: secret values cannot be read back through the API.",
  request: {
    params: z.object({ package: z.string(), file: z.string() }),
    query: z.object({
      download: z.enum(["0", "1"]).optional().openapi({ description: "1 sends the source as an attachment." }),
    }),
  },
  responses: {
    200: { description: "The script's source.", content: { "text/javascript": { schema: z.string() } } },
    404: errorResponse("No such package or script."),
  },
});

function writeContext(c: Context<HonoEnv>): WriteContext {
  const requestId = c.get("requestId");
  return {
    db: c.get("db"),
    workspaceId: c.get("workspaceId"),
    actorId: c.get("actor").id,
    auditActor: auditActor(c.get("principal")),
    requestId,
    platformKey: () => requirePlatformKey(c.env, requestId),
  };
}

async function requirePackageDetails(c: Context<HonoEnv>, packageId: string) {
  const details = await loadPackageDetails(c.get("db"), c.get("workspaceId"), packageId);
  if (details === null) throw notFound("Package", packageId);
  return details;
}

async function requirePackageRow(c: Context<HonoEnv>, packageId: string) {
  const row = await findPackage(c.get("db"), c.get("workspaceId"), packageId);
  if (row === null) throw notFound("Package", packageId);
  return row;
}

export function packageRoutes() {
  return new OpenAPIHono<HonoEnv>({ defaultHook: validationHook })
    .openapi(createPackageRoute, async (c) => {
      const { project: projectId } = c.req.valid("param");
      const upload = await parsePackageForm(await readMultipart(c.req));
      if (!upload.ok) throw upload.error;

      const packageId = await createPackage(writeContext(c), projectId, upload.value);
      return c.json(await requirePackageDetails(c, packageId), 201);
    })
    .openapi(listPackagesRoute, async (c) => {
      const { project: projectId } = c.req.valid("param");
      const rows = await listPackages(c.get("db"), c.get("workspaceId"), projectId);
      return c.json({ packages: rows.map(toPackageSummary) }, 200);
    })
    .openapi(getPackageRoute, async (c) => {
      const { package: packageId } = c.req.valid("param");
      return c.json(await requirePackageDetails(c, packageId), 200);
    })
    .openapi(updatePackageRoute, async (c) => {
      const { package: packageId } = c.req.valid("param");
      const row = await requirePackageRow(c, packageId);
      await updatePackage(writeContext(c), row, c.req.valid("json"));
      return c.json(await requirePackageDetails(c, packageId), 200);
    })
    .openapi(replaceScriptsRoute, async (c) => {
      const { package: packageId } = c.req.valid("param");
      const row = await requirePackageRow(c, packageId);
      const scripts = await parseScriptsForm(await readMultipart(c.req));
      if (!scripts.ok) throw scripts.error;

      await replaceScripts(writeContext(c), row, scripts.value);
      return c.json(await requirePackageDetails(c, packageId), 200);
    })
    .openapi(deletePackageRoute, async (c) => {
      const { package: packageId } = c.req.valid("param");
      const row = await requirePackageRow(c, packageId);
      await deletePackage(writeContext(c), row);
      return c.body(null, 204);
    })
    .openapi(getScriptRoute, async (c) => {
      const { package: packageId, file } = c.req.valid("param");

      // secrets.json is stored only as encrypted secrets, never as a file. The upload rejects
      // that name as a script, and this check returns 404 for it in any letter case as well.
      if (file.toLowerCase() === SECRETS_FILE) throw notFound("Script", file);

      const script = await findScriptSource(c.get("db"), c.get("workspaceId"), packageId, file);
      if (script === null) throw notFound("Script", file);

      c.header("content-type", "text/javascript; charset=utf-8");
      c.header("x-content-type-options", "nosniff");
      if (c.req.valid("query").download === "1") {
        // File names are checked at upload to ASCII letters, digits, dots, hyphens and
        // underscores, so the name needs no escaping inside the quoted header value.
        c.header("content-disposition", `attachment; filename="${file}"`);
      }
      return c.body(script.source, 200);
    });
}
