/**
 * Rate limits through the Workers Rate Limiting bindings of wrangler.toml. Their counts are
 * per Cloudflare location and approximate; they bound abuse and are not exact quotas.
 */
import { ApiError } from "../api/errors";

/** The binding's window, in seconds: Cloudflare accepts 10 or 60. */
export const RATE_LIMIT_PERIOD_SECONDS = 60;

export class RateLimitedError extends ApiError {
  constructor(message: string) {
    super(429, "rate_limited", message, { retry_after_seconds: RATE_LIMIT_PERIOD_SECONDS });
  }
}

/** Counts one request against `key`; raises 429 (with Retry-After set by the error handler). */
export async function enforceRateLimit(limiter: RateLimit, key: string, message: string): Promise<void> {
  const { success } = await limiter.limit({ key });
  if (!success) throw new RateLimitedError(message);
}
