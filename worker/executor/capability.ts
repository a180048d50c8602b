/**
 * The `ferris_ef` capability of one step. The Executor creates one per step and passes it to
 * the sandbox as an argument of the runner's `run()` RPC, so the sandbox gets a stub whose
 * calls come straight back to this object in the Executor, with no Worker entrypoint between.
 *
 * The execution and step it acts for are private fields that the sandbox cannot read or
 * change, because a stub reaches the class's methods only. Every call
 * goes to `StepCalls`, which rejects it unless that step is the one running now, so a stub
 * kept past its step's end cannot act for a later one.
 */
import { RpcTarget } from "cloudflare:workers";

/** The result of a capability call: a value, or the message of an error for the script. */
export type CallResult<T> = { ok: true; value: T } | { ok: false; message: string };

/** The step that a capability is bound to. */
export interface StepBinding {
  executionId: string;
  position: number;
}

/** The Executor's side of the calls, each checked against the running step first. */
export interface StepCalls {
  getSecret(step: StepBinding, name: string): Promise<CallResult<string | null>>;
  setSecret(step: StepBinding, name: string, json: string, scope: string): Promise<CallResult<null>>;
  getState(step: StepBinding, key: string | null): Promise<CallResult<string | null>>;
  putState(step: StepBinding, key: string, json: string): Promise<CallResult<null>>;
}

export class StepCapability extends RpcTarget {
  readonly #calls: StepCalls;
  readonly #step: StepBinding;

  constructor(calls: StepCalls, step: StepBinding) {
    super();
    this.#calls = calls;
    this.#step = { executionId: step.executionId, position: step.position };
  }

  // The arguments come from the hostile script, so each is checked here, before the Executor.
  // A wrong type comes back as a failed result, like every failure the script should see.

  async getSecret(name: unknown): Promise<CallResult<string | null>> {
    if (typeof name !== "string") return typeError("secret name");
    return this.#calls.getSecret(this.#step, name);
  }

  async setSecret(name: unknown, json: unknown, scope: unknown): Promise<CallResult<null>> {
    if (typeof name !== "string") return typeError("secret name");
    if (typeof json !== "string") return typeError("secret value");
    if (typeof scope !== "string") return typeError("scope");
    return this.#calls.setSecret(this.#step, name, json, scope);
  }

  async getState(key: unknown): Promise<CallResult<string | null>> {
    if (key !== null && typeof key !== "string") return typeError("state key");
    return this.#calls.getState(this.#step, key);
  }

  async putState(key: unknown, json: unknown): Promise<CallResult<null>> {
    if (typeof key !== "string") return typeError("state key");
    if (typeof json !== "string") return typeError("state value");
    return this.#calls.putState(this.#step, key, json);
  }
}

function typeError(what: string): { ok: false; message: string } {
  return { ok: false, message: `TypeError: the ${what} must be a string.` };
}
