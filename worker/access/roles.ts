/**
 * Roles and the permissions they grant. A workspace administrator may do everything. Project
 * roles follow the platform that Ferris Edge re-creates. An Owner may do everything in the
 * project, deletion included, and an Admin everything but deleting the project. A User may
 * list, view and trigger manual runs, and writes no secrets.
 */

export type Role = "administrator" | "owner" | "admin" | "user";
export type ProjectRole = Exclude<Role, "administrator">;

/** The permission a route requires. Every route of the API declares exactly one. */
export type Permission =
  /** Anyone, without a token. */
  | "public"
  /** Any valid credential of the workspace; lists are narrowed to what the caller may see. */
  | "workspace:member"
  /** Workspace administrators only: projects, platform secrets, workspace settings. */
  | "workspace:admin"
  | "project:read"
  | "project:run"
  | "project:write"
  | "project:secrets"
  | "project:delete"
  | "project:tokens"
  | "project:audit";

const PROJECT_PERMISSIONS: Record<ProjectRole, ReadonlySet<Permission>> = {
  owner: new Set<Permission>([
    "project:read",
    "project:run",
    "project:write",
    "project:secrets",
    "project:delete",
    "project:tokens",
    "project:audit",
  ]),
  admin: new Set<Permission>(["project:read", "project:run", "project:write", "project:secrets"]),
  user: new Set<Permission>(["project:read", "project:run"]),
};

/** The credential behind a request, after authentication. */
export interface Principal {
  kind: "admin" | "token" | "session";
  /** 'admin' for the bootstrap token, a token id, or the playground workspace id. */
  id: string;
  name: string;
  workspaceId: string;
  role: Role;
  /** The one project of a project role; null for administrators. */
  projectId: string | null;
  /** Whether the workspace is a playground one, whose quotas apply to every credential of it. */
  playground: boolean;
}

export function isProjectPermission(permission: Permission): boolean {
  return permission.startsWith("project:");
}

/** Returns whether the principal has the permission on the project (null for workspace routes). */
export function allows(principal: Principal, permission: Permission, projectId: string | null): boolean {
  if (permission === "public" || permission === "workspace:member") return true;
  if (principal.role === "administrator") return true;
  if (permission === "workspace:admin") return false;
  if (projectId === null || principal.projectId !== projectId) return false;
  return PROJECT_PERMISSIONS[principal.role].has(permission);
}

/** Returns whether the principal may see the project at all. Other projects return 404, not 403. */
export function canSeeProject(principal: Principal, projectId: string): boolean {
  return principal.role === "administrator" || principal.projectId === projectId;
}
