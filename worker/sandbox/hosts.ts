/**
 * The outbound host rule, shared by the OutboundGate (the enforcement) and the sandbox's fetch
 * wrapper (the clear error message). An entry `api.example.com` allows http and https on the
 * default ports only; `api.example.com:8443` allows that one port. Names compare without case.
 */
export function isHostAllowed(url: URL, allowedHosts: readonly string[]): boolean {
  if (url.protocol !== "https:" && url.protocol !== "http:") return false;
  const hostname = url.hostname.toLowerCase();
  const host = url.port === "" ? hostname : `${hostname}:${url.port}`;
  return allowedHosts.some((entry) => entry.toLowerCase() === host);
}

/**
 * The same rule as JavaScript source for the sandbox, which cannot import this module. The
 * sandbox tests pin both forms to one table of cases.
 */
export const IS_HOST_ALLOWED_SOURCE = `function isHostAllowed(url, allowedHosts) {
  if (url.protocol !== "https:" && url.protocol !== "http:") return false;
  const hostname = url.hostname.toLowerCase();
  const host = url.port === "" ? hostname : hostname + ":" + url.port;
  return allowedHosts.some((entry) => entry.toLowerCase() === host);
}`;
