import { DurableObject } from "cloudflare:workers";
import type { AppEnv } from "../env";

/** Runs the executions of one package, one at a time, in order. */
export class Executor extends DurableObject<AppEnv> {}
