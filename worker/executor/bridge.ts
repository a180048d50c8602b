/**
 * The Worker entrypoints that a step's dynamic worker reaches. Their props are set by the
 * executor when it loads the worker, so a script cannot change which package, execution or
 * step it acts for.
 */
import { WorkerEntrypoint } from "cloudflare:workers";
import type { AppEnv } from "../env";
import { OUTBOUND_REJECTED_HEADER, outboundRejection } from "../sandbox/hosts";
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

/**
 * The only network path of a dynamic worker: it forwards fetches to allowed hosts only. A
 * rejection is a 403 with OUTBOUND_REJECTED_HEADER set, so the sandbox's fetch throws its text.
 */
export class OutboundGate extends WorkerEntrypoint<AppEnv, { allowedHosts: string[] }> {
  override async fetch(request: Request): Promise<Response> {
    const rejection = outboundRejection(new URL(request.url), this.ctx.props.allowedHosts);
    if (rejection !== null) {
      return new Response(rejection, {
        status: 403,
        headers: { "content-type": "text/plain; charset=utf-8", [OUTBOUND_REJECTED_HEADER]: "1" },
      });
    }

    // Redirects come back to the sandbox instead of being followed here, so a redirect to a
    // host that is not allowed passes through this check again.
    const response = await fetch(new Request(request, { redirect: "manual" }));
    if (!response.headers.has(OUTBOUND_REJECTED_HEADER)) return response;

    // A remote server must not be able to pass its response off as a rejection by the gate.
    // NOTE: no test covers this branch, because the tests have no remote server to fetch from.
    const copy = new Response(response.body, response);
    copy.headers.delete(OUTBOUND_REJECTED_HEADER);
    return copy;
  }
}

function requireString(what: string, value: unknown): string {
  if (typeof value !== "string") throw new TypeError(`The ${what} must be a string.`);
  return value;
}
