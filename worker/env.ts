/** Worker secrets, set in .dev.vars locally and with `wrangler secret put` on Cloudflare. */
export interface Secrets {
  /** 32 random bytes in base64: the key that wraps every data key. */
  PLATFORM_KEY?: string;
  /** During a rotation, the retired platform key in the same format; it only unwraps older data keys. */
  PLATFORM_KEY_PREVIOUS?: string;
  /** The bearer token of the workspace administrator. */
  ADMIN_TOKEN?: string;
}

export type AppEnv = Env & Secrets;
