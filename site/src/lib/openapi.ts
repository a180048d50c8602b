/**
 * Turns the API's OpenAPI 3.1 document into the rows the API reference page renders: one
 * operation per route, with parameters, request body and responses summarized.
 */
export type Schema = {
  $ref?: string;
  type?: string | string[];
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  enum?: unknown[];
  const?: unknown;
  anyOf?: Schema[];
  oneOf?: Schema[];
  allOf?: Schema[];
  format?: string;
  description?: string;
  additionalProperties?: boolean | Schema;
  nullable?: boolean;
};

interface Parameter {
  name: string;
  in: string;
  required?: boolean;
  description?: string;
  schema?: Schema;
}

interface MediaType {
  schema?: Schema;
}

interface Operation {
  summary?: string;
  description?: string;
  operationId?: string;
  parameters?: Parameter[];
  requestBody?: { description?: string; required?: boolean; content?: Record<string, MediaType> };
  responses?: Record<string, { description?: string; content?: Record<string, MediaType> }>;
  security?: unknown[];
}

export interface OpenApiDocument {
  paths?: Record<string, Record<string, Operation>>;
  components?: { schemas?: Record<string, Schema> };
  security?: unknown[];
}

export interface FieldRow {
  name: string;
  type: string;
  required: boolean;
  description: string;
}

export interface BodyView {
  contentType: string;
  type: string;
  fields: FieldRow[];
}

export interface OperationView {
  id: string;
  method: string;
  path: string;
  summary: string;
  description: string;
  authenticated: boolean;
  parameters: FieldRow[];
  requestBodies: BodyView[];
  responses: { status: string; description: string; bodies: BodyView[] }[];
}

const METHODS = ["get", "post", "put", "patch", "delete", "head", "options"];

function resolve(schema: Schema | undefined, document: OpenApiDocument): Schema {
  if (schema?.$ref === undefined) return schema ?? {};
  const name = schema.$ref.split("/").pop() ?? "";
  return document.components?.schemas?.[name] ?? {};
}

/** Describes a schema's type in one short phrase, such as `array of Project` or `string | null`. */
export function typeName(schema: Schema | undefined, document: OpenApiDocument): string {
  if (schema === undefined) return "any";
  if (schema.$ref !== undefined) return schema.$ref.split("/").pop() ?? "object";
  if (schema.const !== undefined) return JSON.stringify(schema.const);
  if (schema.enum !== undefined) return schema.enum.map((value) => JSON.stringify(value)).join(" | ");

  const variants = schema.anyOf ?? schema.oneOf;
  if (variants !== undefined) return variants.map((variant) => typeName(variant, document)).join(" | ");
  if (schema.allOf !== undefined) return schema.allOf.map((part) => typeName(part, document)).join(" & ");

  let types: string[] = [];
  if (Array.isArray(schema.type)) types = schema.type;
  else if (schema.type !== undefined) types = [schema.type];
  if (types.length === 0) return schema.properties !== undefined ? "object" : "any";
  return types
    .map((type) => {
      if (type === "array") return `array of ${typeName(schema.items, document)}`;
      if (type === "string" && schema.format !== undefined) return `string (${schema.format})`;
      return type;
    })
    .join(" | ");
}

/** Lists an object schema's fields, following one $ref; other schemas have no field rows. */
export function fieldRows(schema: Schema | undefined, document: OpenApiDocument): FieldRow[] {
  const resolved = resolve(schema, document);
  const required = new Set(resolved.required ?? []);
  return Object.entries(resolved.properties ?? {}).map(([name, property]) => ({
    name,
    type: typeName(property, document),
    required: required.has(name),
    description: resolve(property, document).description ?? property.description ?? "",
  }));
}

function bodies(content: Record<string, MediaType> | undefined, document: OpenApiDocument): BodyView[] {
  return Object.entries(content ?? {}).map(([contentType, media]) => ({
    contentType,
    type: typeName(media.schema, document),
    fields: fieldRows(media.schema, document),
  }));
}

/** Lists every operation of the document, sorted by path and then by method. */
export function operations(document: OpenApiDocument): OperationView[] {
  const views: OperationView[] = [];
  const globalSecurity = document.security ?? [];

  for (const [path, item] of Object.entries(document.paths ?? {})) {
    for (const method of METHODS) {
      const operation = item[method];
      if (operation === undefined) continue;

      const security = operation.security ?? globalSecurity;
      views.push({
        id: `${method}-${path}`.replace(/[^a-zA-Z0-9]+/g, "-").replace(/-+$/, "").toLowerCase(),
        method: method.toUpperCase(),
        path,
        summary: operation.summary ?? "",
        description: operation.description ?? "",
        authenticated: security.length > 0,
        parameters: (operation.parameters ?? []).map((parameter) => ({
          name: `${parameter.name} (${parameter.in})`,
          type: typeName(parameter.schema, document),
          required: parameter.required ?? false,
          description: parameter.description ?? parameter.schema?.description ?? "",
        })),
        requestBodies: bodies(operation.requestBody?.content, document),
        responses: Object.entries(operation.responses ?? {}).map(([status, response]) => ({
          status,
          description: response.description ?? "",
          bodies: bodies(response.content, document),
        })),
      });
    }
  }

  return views.sort((a, b) => a.path.localeCompare(b.path) || METHODS.indexOf(a.method.toLowerCase()) - METHODS.indexOf(b.method.toLowerCase()));
}
