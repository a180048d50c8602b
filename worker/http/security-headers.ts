/**
 * Security headers for every response. The Worker sets them on API responses; static files
 * get them from the `_headers` file that scripts/site-headers.ts writes after the site build,
 * because Cloudflare serves those files without running the Worker.
 *
 * The Content-Security-Policy lets pages run only the site's own scripts: its script files and
 * the inline scripts of its own build, each allowed by its SHA-256 hash. No eval, no other origin.
 */

/** Builds the policy; `scriptHashes` are base64 SHA-256 digests of the build's inline scripts. */
export function contentSecurityPolicy(scriptHashes: string[] = []): string {
  const inline = scriptHashes.map((hash) => `'sha256-${hash}'`);
  return [
  "default-src 'self'",
  ["script-src 'self'", ...inline].join(" "),
  // Starlight and Astro emit style attributes and inline style blocks.
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  ].join("; ");
}

/** The headers besides the policy, the same on every response. */
export const SECURITY_HEADERS: Record<string, string> = {
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "referrer-policy": "no-referrer",
  "cross-origin-opener-policy": "same-origin",
  "cross-origin-resource-policy": "same-origin",
  "permissions-policy": "camera=(), microphone=(), geolocation=(), payment=()",
  // Browsers ignore this header over plain HTTP, so it is harmless on localhost.
  "strict-transport-security": "max-age=31536000; includeSubDomains",
};

/** Returns the response with the security headers set, copying it when its headers are immutable. */
export function withSecurityHeaders(response: Response): Response {
  const copy = new Response(response.body, response);
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) copy.headers.set(name, value);
  copy.headers.set("content-security-policy", contentSecurityPolicy());
  return copy;
}
