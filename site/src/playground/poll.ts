/**
 * Status polling for the playground's execution views. A failed check does not end the
 * polling: its error is shown, and the check is retried with exponential backoff.
 */
import { showError } from "./dom";

/** The wait between two checks while nothing fails, in milliseconds. */
export const POLL_INTERVAL_MS = 1000;
/** The maximum wait between retries after failed checks, in milliseconds. */
export const MAX_RETRY_DELAY_MS = 16_000;

export interface PollOptions {
  signal: AbortSignal;
  /** The element that shows a failed check's error, until the next good check clears it. */
  errorTarget: HTMLElement;
  intervalMs?: number;
}

/** Returns the wait before the next check after `failures` failed checks in a row. */
export function retryDelay(failures: number, intervalMs = POLL_INTERVAL_MS): number {
  return Math.min(intervalMs * 2 ** failures, MAX_RETRY_DELAY_MS);
}

/**
 * Runs `check` now and again after each interval while it returns true, until the signal
 * aborts. `check` returns false once there is nothing left to wait for.
 */
export function poll(check: () => Promise<boolean>, options: PollOptions): void {
  const intervalMs = options.intervalMs ?? POLL_INTERVAL_MS;
  let failures = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  options.signal.addEventListener("abort", () => clearTimeout(timer), { once: true });

  const schedule = (delayMs: number) => {
    timer = setTimeout(run, delayMs);
  };

  async function run(): Promise<void> {
    if (options.signal.aborted) return;
    let again: boolean;
    try {
      again = await check();
    } catch (error) {
      if (options.signal.aborted) return;
      failures += 1;
      const delayMs = retryDelay(failures, intervalMs);
      const reason = error instanceof Error ? error.message : String(error);
      showError(options.errorTarget, `Checking the status failed: ${reason} Retrying in ${Math.round(delayMs / 1000)} s.`);
      schedule(delayMs);
      return;
    }
    if (options.signal.aborted) return;
    if (failures > 0) showError(options.errorTarget, null);
    failures = 0;
    if (again) schedule(intervalMs);
  }

  void run();
}
