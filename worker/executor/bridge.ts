/**
 * The Worker entrypoints that a step's dynamic worker reaches. Their props are set by the
 * executor when it loads the worker, so a script cannot change which package, execution or
 * step it acts for.
 */
import { WorkerEntrypoint } from "cloudflare:workers";
import type { AppEnv } from "../env";
import { isHostAllowed } from "../sandbox/hosts";
import type { BridgeResult, Executor } from "./executor";
import type { BridgeProps } from "./step";

/** The `ferris_ef` capability: each call goes to the package's Executor, which checks it. */
export class SandboxBridge extends WorkerEntrypoint<AppEnv, BridgeProps> {
  async getSecret(name: unknown): Promise<BridgeResult<string | null>> {
    return this.executor().getSecret(this.ctx.props, requireString("secret name", name));
  }

  async setSecret(name: unknown, json: unknown, scope: unknown): Promise<BridgeResult<null>> {
    return this.executor().setSecret(
      this.ctx.props,
      requireString("secret name", name),
      requireString("secret value", json),
      typeof scope === "string" ? scope : String(scope),
    );
  }

  async getState(key: unknown): Promise<BridgeResult<string | null>> {
    return this.executor().getState(this.ctx.props, key === null ? null : requireString("state key", key));
  }

  async putState(key: unknown, json: unknown): Promise<BridgeResult<null>> {
    return this.executor().putState(this.ctx.props, requireString("state key", key), requireString("state value", json));
  }

  private executor(): DurableObjectStub<Executor> {
    const namespace = this.env.EXECUTOR as unknown as DurableObjectNamespace<Executor>;
    return namespace.get(namespace.idFromName(this.ctx.props.packageId));
  }
}

/** The only network path of a dynamic worker: it forwards fetches to allowed hosts only. */
export class OutboundGate extends WorkerEntrypoint<AppEnv, { allowedHosts: string[] }> {
  override async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    if (!isHostAllowed(url, this.ctx.props.allowedHosts)) {
      return new Response(`fetch to ${url.host} is not allowed: list the host in manifest.json allowed_hosts.`, {
        status: 403,
        headers: { "content-type": "text/plain; charset=utf-8" },
      });
    }

    // Redirects come back to the sandbox instead of being followed here, so a redirect to a
    // host that is not allowed passes through this check again.
    return fetch(new Request(request, { redirect: "manual" }));
  }
}

function requireString(what: string, value: unknown): string {
  if (typeof value !== "string") throw new TypeError(`The ${what} must be a string.`);
  return value;
}
