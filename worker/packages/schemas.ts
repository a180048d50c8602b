/**
 * OpenAPI schemas of the project and package routes, and the mapping from D1 rows to the
 * response bodies they describe.
 */
import { z } from "@hono/zod-openapi";
import {
  MAX_ALLOWED_HOSTS,
  MAX_DESCRIPTION_LENGTH,
  MAX_NAME_LENGTH,
  MAX_SCRIPT_BYTES,
  MAX_SCRIPTS_PER_PACKAGE,
} from "../limits";
import type { SecretName } from "../secrets/store";
import type { PackageRow, PackageSummaryRow, ProjectRow, ScriptInfoRow } from "./repository";
import { MAX_TIMEOUT_SECONDS } from "./settings";

/** Names are shown in lists and logs, so line breaks and other control characters are rejected. */
export const NO_CONTROL_CHARACTERS = /^\P{Cc}*$/u;

export const ErrorSchema = z
  .object({
    error: z.object({
      code: z.string().openapi({ example: "invalid_manifest" }),
      message: z.string(),
      details: z.unknown().optional(),
    }),
  })
  .openapi("Error");

export const errorResponse = (description: string) => ({
  description,
  content: { "application/json": { schema: ErrorSchema } },
});

export const jsonResponse = <T extends z.ZodType>(schema: T, description: string) => ({
  description,
  content: { "application/json": { schema } },
});

export const ProjectSchema = z
  .object({
    id: z.string().openapi({ example: "prj_3f9a0c1d2e4b5a6c7d8e9f01" }),
    name: z.string(),
    description: z.string(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi("Project");

export const CreateProjectBody = z
  .object({
    name: z
      .string()
      .trim()
      .min(1)
      .max(MAX_NAME_LENGTH)
      .regex(NO_CONTROL_CHARACTERS, "must not contain control characters such as line breaks")
      .openapi({ description: "Unique in the workspace." }),
    description: z.string().max(MAX_DESCRIPTION_LENGTH).optional(),
  })
  .strict()
  .openapi("CreateProject");

export const PackageSummarySchema = z
  .object({
    id: z.string().openapi({ example: "pkg_3f9a0c1d2e4b5a6c7d8e9f01" }),
    name: z.string(),
    description: z.string(),
    script_count: z.number().int(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi("PackageSummary");

export const ScriptInfoSchema = z
  .object({
    position: z.number().int().openapi({ description: "Where the script runs: 1 is the first step." }),
    file_name: z.string(),
    size: z.number().int().openapi({ description: "Bytes of UTF-8 source." }),
    sha256: z.string().openapi({ description: "SHA-256 of the source, in hex." }),
    updated_at: z.string(),
  })
  .openapi("ScriptInfo");

export const SecretNameSchema = z
  .object({ name: z.string(), created_at: z.string(), updated_at: z.string() })
  .openapi("SecretName");

export const PackageDetailsSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    description: z.string(),
    project_id: z.string(),
    scripts: z.array(ScriptInfoSchema).openapi({ description: "In execution order." }),
    secrets: z.array(SecretNameSchema).openapi({ description: "Names and times of the package's secrets; never values." }),
    config: z.record(z.string(), z.unknown()),
    entrypoint: z.string().nullable().openapi({ description: "The only script that runs, or null to run every script." }),
    allow_manual_triggering: z.boolean(),
    active: z.boolean(),
    timeout_seconds: z.number().int(),
    allowed_hosts: z.array(z.string()),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi("PackageDetails");

/** The multipart upload, as a plain schema object so that no automatic body parsing happens. */
export const packageUploadSchema = {
  type: "object" as const,
  required: ["name", "scripts"],
  properties: {
    name: { type: "string" as const, maxLength: MAX_NAME_LENGTH, description: "Unique in the project." },
    description: { type: "string" as const, maxLength: MAX_DESCRIPTION_LENGTH },
    scripts: {
      type: "array" as const,
      maxItems: MAX_SCRIPTS_PER_PACKAGE,
      items: { type: "string" as const, format: "binary" },
      description:
        `One part per .js or .mjs file, in run order, each at most ${MAX_SCRIPT_BYTES} bytes of UTF-8: ` +
        "an ES module with a default-exported function that imports nothing but ferris_ef.",
    },
    secrets: { type: "string" as const, format: "binary", description: "secrets.json: a JSON object of secret names to values." },
    config: { type: "string" as const, format: "binary", description: "config.json: a JSON object that scripts read as config." },
    manifest: {
      type: "string" as const,
      format: "binary",
      description:
        "manifest.json: description, execution_order, entrypoint, allow_manual_triggering, active, " +
        `timeout_seconds (1 to ${MAX_TIMEOUT_SECONDS}) and allowed_hosts (at most ${MAX_ALLOWED_HOSTS}).`,
    },
  },
};

export const scriptsUploadSchema = {
  type: "object" as const,
  required: ["scripts"],
  properties: { scripts: packageUploadSchema.properties.scripts },
};

export const UpdatePackageBody = z
  .object({
    description: z.string().max(MAX_DESCRIPTION_LENGTH).optional(),
    timeout_seconds: z.number().int().min(1).max(MAX_TIMEOUT_SECONDS).optional(),
    allowed_hosts: z.array(z.string()).max(MAX_ALLOWED_HOSTS).optional(),
    active: z.boolean().optional(),
    allow_manual_triggering: z.boolean().optional(),
    config: z.record(z.string(), z.unknown()).optional(),
    execution_order: z.array(z.string()).optional().openapi({ description: "Every script's file name, in the new run order." }),
    entrypoint: z.string().nullable().optional().openapi({ description: "A script's file name, or null to run every script." }),
  })
  .strict()
  .openapi("UpdatePackage");

export function toProject(row: ProjectRow): z.infer<typeof ProjectSchema> {
  return { id: row.id, name: row.name, description: row.description, created_at: row.created_at, updated_at: row.updated_at };
}

export function toPackageSummary(row: PackageSummaryRow): z.infer<typeof PackageSummarySchema> {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    script_count: row.script_count,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

export function toPackageDetails(
  row: PackageRow,
  scripts: ScriptInfoRow[],
  secrets: SecretName[],
): z.infer<typeof PackageDetailsSchema> {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    project_id: row.project_id,
    scripts: scripts.map((script) => ({
      position: script.position,
      file_name: script.file_name,
      size: script.size,
      sha256: script.sha256,
      updated_at: script.updated_at,
    })),
    secrets: secrets.map((secret) => ({ name: secret.name, created_at: secret.created_at, updated_at: secret.updated_at })),
    // Both columns hold JSON that this module wrote after checking it.
    config: JSON.parse(row.config) as Record<string, unknown>,
    entrypoint: row.entrypoint,
    allow_manual_triggering: row.allow_manual_triggering === 1,
    active: row.active === 1,
    timeout_seconds: Math.round(row.timeout_ms / 1000),
    allowed_hosts: JSON.parse(row.allowed_hosts) as string[],
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}
