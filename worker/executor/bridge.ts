/**
 * The Worker entrypoint that a step's dynamic worker reaches for the network. Its props are set
 * by the executor when it loads the worker, so a script cannot change which hosts it may fetch.
 */
import { WorkerEntrypoint } from "cloudflare:workers";
import type { AppEnv } from "../env";
import { OUTBOUND_REJECTED_HEADER, outboundRejection } from "../sandbox/hosts";

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
