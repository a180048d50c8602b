/**
 * The Executor Durable Object: one per package (idFromName(packageId)). It keeps a queue of
 * run events in its storage and runs them one at a time, in order, so that the state writes
 * of one package never race. Different packages have different objects and run in parallel.
 *
 * Storage keys: "queue" (execution ids in order), "event:<id>" (the run event, whose secrets
 * are the stored AES-GCM blobs and wrapped data keys) and "running" ({ executionId, position }
 * while an execution runs), and "audit:<seq>" (the audit record of each secret read, kept here
 * before the value goes to the script and moved to D1 with the step's result). A "running"
 * entry found by the constructor belongs to a previous life of the object: that execution ends
 * failed with reason "interrupted", and its kept audit records are written then.
 */
import { DurableObject } from "cloudflare:workers";
import type { AuditRecord } from "../access/audit";
import { PlatformKeyError } from "../crypto/envelope";
import { Db } from "../db";
import type { AppEnv } from "../env";
import type { RunEvent } from "./event";
import type { ExecutionDetails } from "./records";
import {
  createActiveRun,
  executionFinished,
  remainingUnprocessed,
  runExecution,
  stepFinished,
  type ActiveRun,
} from "./run";
import { readState, writeState } from "./state";
import type { CallResult, StepBinding, StepCalls } from "./capability";
import type { SandboxExports, StepOutcome } from "./step";
import { ScriptFacingError } from "./vault";

const QUEUE_KEY = "queue";
const RUNNING_KEY = "running";
const eventKey = (executionId: string) => `event:${executionId}`;
const AUDIT_PREFIX = "audit:";
/** Zero-padded, so that the storage's key order is the order of the reads. */
const auditKey = (seq: number) => `${AUDIT_PREFIX}${String(seq).padStart(12, "0")}`;

interface RunningMarker {
  executionId: string;
  /** The step in progress; null before the first step starts. */
  position: number | null;
}

export class Executor extends DurableObject<AppEnv> {
  private queue: string[] = [];
  private active: ActiveRun | null = null;
  private draining: Promise<void> | null = null;
  /** Callers waiting for an execution's end, given the execution when the run read it back. */
  private readonly waiters = new Map<string, ((execution: ExecutionDetails | null) => void)[]>();
  /** The events queued during this life of the object, so that the queue need not read them back. */
  private readonly events = new Map<string, RunEvent>();
  private auditSeq = 0;
  /** Storage keys and records of the secret reads not yet handed to D1. */
  private keptAudit: { key: string; record: AuditRecord }[] = [];
  /** Storage keys of the reads whose records are in the D1 batch now being sent. */
  private sentAuditKeys: string[] = [];

  constructor(ctx: DurableObjectState, env: AppEnv) {
    super(ctx, env);
    void ctx.blockConcurrencyWhile(() => this.recover());
  }

  /** Queues a run and starts the queue if it is idle. Returns the position in the queue. */
  async enqueue(event: RunEvent): Promise<{ executionId: string; queued: number }> {
    this.queue.push(event.executionId);

    // One multi-key put stores the event and the queue together. The alarm keeps the object
    // alive while the queue drains and restarts the queue after an eviction, and the direct
    // start below avoids waiting for it to fire. Both writes are issued before either is
    // awaited, so storage coalesces them into one atomic write.
    await Promise.all([
      this.ctx.storage.put({ [eventKey(event.executionId)]: event, [QUEUE_KEY]: this.queue }),
      this.ctx.storage.setAlarm(Date.now()),
    ]);
    this.events.set(event.executionId, event);
    void this.startDrain();
    return { executionId: event.executionId, queued: this.queue.length };
  }

  /**
   * Queues a run like `enqueue` and, with `wait`, resolves when it has ended, so that a caller
   * that waits needs one RPC, not two. `execution` is the ended execution as the run's last
   * batch read it, or null when the caller does not wait or the run did not read it back.
   */
  async submit(event: RunEvent, wait: boolean): Promise<{ queued: number; ended: boolean; execution: ExecutionDetails | null }> {
    const { queued } = await this.enqueue(event);
    const execution = wait ? await this.wait(event.executionId) : null;
    return { queued, ended: wait, execution };
  }

  /**
   * Resolves when the execution has ended (at once, with null, if it is not queued here), with
   * the execution as the run's last batch read it, or null when the run did not read it back.
   */
  async wait(executionId: string): Promise<ExecutionDetails | null> {
    if (!this.queue.includes(executionId)) return null;
    return new Promise<ExecutionDetails | null>((resolve) => {
      const list = this.waiters.get(executionId) ?? [];
      list.push(resolve);
      this.waiters.set(executionId, list);
    });
  }

  override async alarm(): Promise<void> {
    await this.startDrain();
  }

  /** The capability calls of the running step; each StepCapability forwards its calls here. */
  private readonly stepCalls: StepCalls = {
    getSecret: (step, name) => this.scriptCall(step, (run) => run.secrets.get(name)),
    setSecret: (step, name, json, scope) =>
      this.scriptCall(step, async (run) => {
        await run.secrets.set(name, json, scope);
        return null;
      }),
    getState: (step, key) => this.scriptCall(step, (run) => readState(run.db, this.packageRef(run), key)),
    putState: (step, key, json) =>
      this.scriptCall(step, async (run) => {
        await writeState(run.db, this.packageRef(run), key, json, run.secrets.masker);
        return null;
      }),
  };

  private packageRef(run: ActiveRun) {
    return { workspaceId: run.event.workspaceId, packageId: run.event.packageId };
  }

  /**
   * Runs a script's request for `step` if that step is running now. Failures the script should
   * see come back as values, and the SDK throws them inside the sandbox.
   */
  private async scriptCall<T>(step: StepBinding, call: (run: ActiveRun) => Promise<T>): Promise<CallResult<T>> {
    const run = this.active;
    if (run === null || run.event.executionId !== step.executionId || run.position !== step.position) {
      return { ok: false, message: "This step is no longer running, so it cannot use ferris_ef." };
    }

    try {
      return { ok: true, value: await call(run) };
    } catch (error) {
      if (error instanceof ScriptFacingError || error instanceof PlatformKeyError) return { ok: false, message: error.message };
      console.error(
        JSON.stringify({ event: "sandbox_call_failed", executionId: step.executionId, position: step.position, error: String(error) }),
      );
      return { ok: false, message: "The platform failed to serve this ferris_ef call; the error is in the platform log." };
    }
  }

  private startDrain(): Promise<void> {
    this.draining ??= this.drain().finally(() => {
      this.draining = null;
      // An event queued while the loop was finishing starts a new loop.
      if (this.queue.length > 0) void this.startDrain();
    });
    return this.draining;
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const executionId = this.queue[0]!;
      const event = this.events.get(executionId) ?? (await this.ctx.storage.get<RunEvent>(eventKey(executionId)));
      const execution = event === undefined ? null : await this.execute(event);
      await this.dequeue(executionId, execution);
    }
  }

  private async execute(event: RunEvent): Promise<ExecutionDetails | null> {
    const run = createActiveRun(this.env, event, (record) => this.keepAudit(record));
    this.active = run;
    this.keptAudit = [];
    this.sentAuditKeys = [];
    const marker: RunningMarker = { executionId: event.executionId, position: null };
    try {
      await this.ctx.storage.put(RUNNING_KEY, marker);
      return await runExecution(this.env, this.ctx.exports as unknown as SandboxExports, run, {
        beforeStep: (position) => this.ctx.storage.put(RUNNING_KEY, { ...marker, position }),
        stepCalls: this.stepCalls,
        takeAudit: () => this.takeAudit(),
        auditWritten: () => this.dropSentAudit(),
        resultWanted: () => this.waiters.has(event.executionId),
      });
    } catch (error) {
      // D1 failed mid-run. The execution stays as far as it got; the log has the cause.
      console.error(JSON.stringify({ event: "execution_crashed", executionId: event.executionId, error: String(error) }));
      return null;
    } finally {
      this.active = null;
    }
  }

  /**
   * Stores a secret read's audit record before the value leaves the executor. The put is not
   * awaited, because the output gate delays every message the object sends, the capability's
   * reply with the value included, until the write is durable. A failed write resets the object
   * and discards those messages (Cloudflare's Durable Objects Storage API: put() and its
   * allowUnconfirmed option, which this code leaves off).
   * NOTE: no test shows a failed write holding back the value, because local storage does not fail.
   */
  private keepAudit(record: AuditRecord): Promise<void> {
    const key = auditKey(++this.auditSeq);
    this.ctx.storage.put(key, record).catch((error: unknown) => {
      console.error(JSON.stringify({ event: "audit_keep_failed", executionId: record.executionId, key, error: String(error) }));
    });
    this.keptAudit.push({ key, record });
    return Promise.resolve();
  }

  private takeAudit(): AuditRecord[] {
    const entries = this.keptAudit;
    this.keptAudit = [];
    this.sentAuditKeys.push(...entries.map((entry) => entry.key));
    return entries.map((entry) => entry.record);
  }

  private dropSentAudit(): void {
    const keys = this.sentAuditKeys;
    this.sentAuditKeys = [];
    // The storage API deletes at most 128 keys per call. Nothing waits for these deletes. If
    // the object stops before one is durable, the recovery of that run writes its records again.
    for (let start = 0; start < keys.length; start += 128) void this.ctx.storage.delete(keys.slice(start, start + 128));
  }

  private async dequeue(executionId: string, execution: ExecutionDetails | null = null): Promise<void> {
    this.queue = this.queue.filter((id) => id !== executionId);
    this.events.delete(executionId);
    // Issued together, so storage coalesces them into one atomic write.
    await Promise.all([this.ctx.storage.delete([eventKey(executionId), RUNNING_KEY]), this.ctx.storage.put(QUEUE_KEY, this.queue)]);
    for (const resolve of this.waiters.get(executionId) ?? []) resolve(execution);
    this.waiters.delete(executionId);
  }

  private async pendingAudit(): Promise<AuditRecord[]> {
    const kept = await this.ctx.storage.list<AuditRecord>({ prefix: AUDIT_PREFIX });
    return [...kept.values()];
  }

  private async dropPendingAudit(): Promise<void> {
    const kept = await this.ctx.storage.list({ prefix: AUDIT_PREFIX });
    // The storage API deletes at most 128 keys per call.
    const keys = [...kept.keys()];
    for (let start = 0; start < keys.length; start += 128) await this.ctx.storage.delete(keys.slice(start, start + 128));
  }

  private async recover(): Promise<void> {
    this.queue = (await this.ctx.storage.get<string[]>(QUEUE_KEY)) ?? [];
    const running = await this.ctx.storage.get<RunningMarker>(RUNNING_KEY);
    if (running !== undefined) {
      const event = await this.ctx.storage.get<RunEvent>(eventKey(running.executionId));
      if (event !== undefined) await failInterrupted(new Db(this.env.DB), event, running.position, await this.pendingAudit());
      await this.dropPendingAudit();
      console.error(JSON.stringify({ event: "execution_interrupted", executionId: running.executionId, position: running.position }));
      await this.dequeue(running.executionId);
    }
    if (this.queue.length > 0) await this.ctx.storage.setAlarm(Date.now());
  }
}

/** Ends an execution that a previous life of the executor was running when it stopped. */
async function failInterrupted(db: Db, event: RunEvent, position: number | null, audit: AuditRecord[]): Promise<void> {
  const carried: D1PreparedStatement[] = [];
  if (position !== null) {
    const outcome: StepOutcome = {
      status: "failed",
      failureReason: "interrupted",
      output: [],
      truncated: false,
      error: { message: "The executor stopped while this step was running; run the package again.", stack: "" },
    };
    carried.push(...stepFinished(db, event, position, outcome, [], audit));
  }
  carried.push(remainingUnprocessed(db, event));
  await db.batch(executionFinished(db, event, "interrupted", carried));
}
