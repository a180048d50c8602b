import { importPlatformKeyring, PlatformKeyError, type PlatformKeyring } from "../crypto/envelope";
import type { AppEnv } from "../env";
import { ApiError } from "./errors";

/**
 * Imports the platform keys for a request. A missing or malformed PLATFORM_KEY, or a malformed
 * PLATFORM_KEY_PREVIOUS, is logged and becomes a 500 with code "platform_key_invalid". Its
 * message names the variable and the fix, and it contains no key material, so the client may
 * see it.
 */
export async function requirePlatformKey(env: AppEnv, requestId: string): Promise<PlatformKeyring> {
  try {
    return await importPlatformKeyring(env);
  } catch (error) {
    if (!(error instanceof PlatformKeyError)) throw error;
    console.error(JSON.stringify({ event: "platform_key_invalid", requestId, message: error.message }));
    throw new ApiError(500, "platform_key_invalid", error.message);
  }
}
