import { createRoute, type RouteConfig } from "@hono/zod-openapi";
import { requires, type Target } from "../access/authorize";
import type { Permission } from "../access/roles";

/**
 * Declares a route with the permission it needs. The permission is enforced by the `requires`
 * middleware and published in the OpenAPI document as `x-permission` (and `x-target`), which
 * the route-table test reads to check every route. With `targetColumns`, `requires` reads
 * those columns of the target's row too and sets the row as `target`.
 */
export function secureRoute<const R extends RouteConfig>(
  permission: Permission,
  target: Target | null,
  config: R,
  options: { targetColumns?: string } = {},
): R {
  const security = permission === "public" ? { security: [] } : {};
  return createRoute({
    ...config,
    ...security,
    middleware: [requires(permission, target ?? undefined, options.targetColumns)],
    "x-permission": permission,
    ...(target === null ? {} : { "x-target": target }),
  }) as R;
}
