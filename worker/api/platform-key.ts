import { importPlatformKey, PlatformKeyError, type PlatformKey } from "../crypto/envelope";
import type { AppEnv } from "../env";
import { ApiError } from "./errors";

/**
 * Imports the platform key for a request. A missing or malformed PLATFORM_KEY is logged and
 * becomes a 500 with code "platform_key_invalid". Its message names the variable and the
 * fix, and it contains no key material, so the client may see it.
 */
export async function requirePlatformKey(env: AppEnv, requestId: string): Promise<PlatformKey> {
  try {
    return await importPlatformKey(env.PLATFORM_KEY);
  } catch (error) {
    if (!(error instanceof PlatformKeyError)) throw error;
    console.error(JSON.stringify({ event: "platform_key_invalid", requestId, message: error.message }));
    throw new ApiError(500, "platform_key_invalid", error.message);
  }
}
