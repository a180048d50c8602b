import { OpenAPIHono, z } from "@hono/zod-openapi";
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
    });
}
