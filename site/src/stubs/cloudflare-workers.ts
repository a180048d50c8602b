/**
 * Build-time stand-ins for the `cloudflare:workers` module, so that the site build can import
 * the Worker's route definitions in Node. Nothing here runs: the build only reads the
 * OpenAPI document, and never calls a Durable Object or an entrypoint.
 */
export class DurableObject<Env = unknown> {
  constructor(
    readonly ctx: unknown,
    readonly env: Env,
  ) {}
}

export class WorkerEntrypoint<Env = unknown, Props = unknown> {
  constructor(
    readonly ctx: { props: Props },
    readonly env: Env,
  ) {}
}

export class RpcTarget {}

export const env = {};
export const exports = {};
