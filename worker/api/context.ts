import type { Db } from "../db";
import type { AppEnv } from "../env";
import type { Principal } from "../access/roles";

/** The caller of a request, as recorded in `updated_by` columns. */
export interface Actor {
  kind: "admin" | "token" | "session";
  id: string;
}

/** Values that the middleware sets on every request context. */
export interface RequestVariables {
  requestId: string;
  db: Db;
  workspaceId: string;
  actor: Actor;
  /** The authenticated credential with its role; set by the authentication middleware. */
  principal: Principal;
  /** The project that the route's target belongs to, once `requires` has resolved it. */
  projectId: string | null;
  /** The target's row, for a route that asked `requires` to read columns with it. */
  target: Record<string, unknown>;
}

export interface HonoEnv {
  Bindings: AppEnv;
  Variables: RequestVariables;
}
