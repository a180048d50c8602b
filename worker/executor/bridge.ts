import { WorkerEntrypoint } from "cloudflare:workers";
import type { AppEnv } from "../env";

/** The `ferris_ef` capability that a step's dynamic worker calls back into. */
export class SandboxBridge extends WorkerEntrypoint<AppEnv> {}

/** The only network path of a dynamic worker: it forwards fetches to allowed hosts. */
export class OutboundGate extends WorkerEntrypoint<AppEnv> {}
