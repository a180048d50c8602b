import type { Db } from "../db";
import type { AppEnv } from "../env";

/** Who made a request, as recorded in `updated_by` columns. */
export interface Actor {
  kind: "admin";
  id: string;
}

/** Values that the middleware sets on every request context. */
export interface RequestVariables {
  requestId: string;
  db: Db;
  workspaceId: string;
  actor: Actor;
}

export interface HonoEnv {
  Bindings: AppEnv;
  Variables: RequestVariables;
}
