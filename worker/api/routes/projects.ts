import { OpenAPIHono, z } from "@hono/zod-openapi";
import { auditStatement } from "../../access/audit";
import { auditActor } from "../../access/authorize";
import type { Db } from "../../db";
import { newId, now } from "../../ids";
import {
  findProject,
  findProjectByName,
  insertProject,
  isUniqueViolation,
  listProjects,
  type ProjectRow,
} from "../../packages/repository";
import { CreateProjectBody, errorResponse, jsonResponse, ProjectSchema, toProject } from "../../packages/schemas";
import type { HonoEnv } from "../context";
import { ApiError, notFound } from "../errors";
import { secureRoute } from "../secure-route";
import { validationHook } from "../validation";

const createProjectRoute = secureRoute("workspace:admin", null, {
  method: "post",
  path: "/projects",
  summary: "Create a project",
  request: { body: { required: true, content: { "application/json": { schema: CreateProjectBody } } } },
  responses: {
    201: jsonResponse(ProjectSchema, "The new project."),
    400: errorResponse("The name or description is invalid."),
    409: errorResponse("A project with this name exists in the workspace."),
  },
});

const listProjectsRoute = secureRoute("workspace:member", null, {
  method: "get",
  path: "/projects",
  summary: "List the projects the caller can see",
  responses: { 200: jsonResponse(z.object({ projects: z.array(ProjectSchema) }), "Projects sorted by name.") },
});

const getProjectRoute = secureRoute("project:read", "project", {
  method: "get",
  path: "/projects/{project}",
  summary: "Get a project",
  request: { params: z.object({ project: z.string() }) },
  responses: {
    200: jsonResponse(ProjectSchema, "The project."),
    404: errorResponse("No such project in the workspace."),
  },
});

const deleteProjectRoute = secureRoute("project:delete", "project", {
  method: "delete",
  path: "/projects/{project}",
  summary: "Delete a project with its packages, secrets and tokens",
  description:
    "Deletes the project's packages (with their scripts, secrets, data keys and state), the project's own secrets " +
    "and data key, and the tokens of the project. Past executions stay readable to administrators.",
  request: { params: z.object({ project: z.string() }) },
  responses: {
    204: { description: "The project was deleted." },
    403: errorResponse("Only the project's Owners and workspace administrators may delete it."),
    404: errorResponse("No such project in the workspace."),
  },
});

/** Builds the statements that delete a project and everything it owns, except its executions. */
function deleteProjectStatements(db: Db, workspaceId: string, projectId: string): D1PreparedStatement[] {
  const packagesOf = "SELECT id FROM packages WHERE workspace_id = ?1 AND project_id = ?2";
  const ownedBy = `workspace_id = ?1 AND ((scope = 'package' AND owner_id IN (${packagesOf})) OR (scope = 'project' AND owner_id = ?2))`;
  return [
    db.prepare(`DELETE FROM secrets WHERE ${ownedBy}`, workspaceId, projectId),
    db.prepare(`DELETE FROM data_keys WHERE ${ownedBy}`, workspaceId, projectId),
    db.prepare(`DELETE FROM package_state WHERE workspace_id = ?1 AND package_id IN (${packagesOf})`, workspaceId, projectId),
    db.prepare(`DELETE FROM scripts WHERE workspace_id = ?1 AND package_id IN (${packagesOf})`, workspaceId, projectId),
    db.prepare("DELETE FROM packages WHERE workspace_id = ?1 AND project_id = ?2", workspaceId, projectId),
    db.prepare("DELETE FROM api_tokens WHERE workspace_id = ?1 AND project_id = ?2", workspaceId, projectId),
    db.prepare("DELETE FROM projects WHERE workspace_id = ?1 AND id = ?2", workspaceId, projectId),
  ];
}

function nameTaken(name: string): ApiError {
  return new ApiError(409, "name_taken", `A project named ${JSON.stringify(name)} already exists in this workspace: choose another name.`, {
    field: "name",
  });
}

export function projectRoutes() {
  return new OpenAPIHono<HonoEnv>({ defaultHook: validationHook })
    .openapi(createProjectRoute, async (c) => {
      const db = c.get("db");
      const workspaceId = c.get("workspaceId");
      const body = c.req.valid("json");

      if ((await findProjectByName(db, workspaceId, body.name)) !== null) throw nameTaken(body.name);

      const time = now();
      const project: ProjectRow = {
        id: newId("prj"),
        name: body.name,
        description: body.description ?? "",
        created_at: time,
        updated_at: time,
      };

      try {
        await insertProject(db, workspaceId, project);
      } catch (error) {
        // Two requests with one name can both pass the check above; the UNIQUE index decides.
        if (isUniqueViolation(error, "projects")) throw nameTaken(body.name);
        throw error;
      }
      return c.json(toProject(project), 201);
    })
    .openapi(listProjectsRoute, async (c) => {
      // A project role lists only its own project, and a workspace administrator lists every project.
      const principal = c.get("principal");
      if (principal.role !== "administrator" && principal.projectId === null) return c.json({ projects: [] }, 200);
      const onlyProject = principal.role === "administrator" ? null : principal.projectId;
      const rows = await listProjects(c.get("db"), c.get("workspaceId"), onlyProject);
      return c.json({ projects: rows.map(toProject) }, 200);
    })
    .openapi(getProjectRoute, async (c) => {
      const { project: projectId } = c.req.valid("param");
      const row = await findProject(c.get("db"), c.get("workspaceId"), projectId);
      if (row === null) throw notFound("Project", projectId);
      return c.json(toProject(row), 200);
    })
    .openapi(deleteProjectRoute, async (c) => {
      const db = c.get("db");
      const principal = c.get("principal");
      const { project: projectId } = c.req.valid("param");
      const row = await findProject(db, principal.workspaceId, projectId);
      if (row === null) throw notFound("Project", projectId);

      await db.batch([
        ...deleteProjectStatements(db, principal.workspaceId, projectId),
        auditStatement(db, [
          {
            workspaceId: principal.workspaceId,
            actor: auditActor(principal),
            action: "project.deleted",
            projectId,
            requestId: c.get("requestId"),
            detail: row.name,
          },
        ]),
      ]);
      return c.body(null, 204);
    });
}
