/**
 * The outbound host rule, shared by the OutboundGate (the enforcement) and the sandbox's fetch
 * wrapper (the clear error message). An entry `api.example.com` allows http and https on the
 * default ports only; `api.example.com:8443` allows that one port. Names compare without case.
 *
 * Some IPv4 addresses are never allowed, even when listed: link-local 169.254.0.0/16, where
 * cloud metadata services listen, and 0.0.0.0/8, which connects to the local machine. IPv6
 * link-local and metadata addresses are not checked, because an entry cannot be an IPv6
 * literal and so never matches one.
 */

/** The header that marks the OutboundGate's own rejection, so the sandbox's fetch can throw it. */
export const OUTBOUND_REJECTED_HEADER = "x-ferris-outbound-rejected";

export function isHostAllowed(url: URL, allowedHosts: readonly string[]): boolean {
  return outboundRejection(url, allowedHosts) === null;
}

/** Returns the error message for a fetch of `url`, or null when the rule allows it. */
export function outboundRejection(url: URL, allowedHosts: readonly string[]): string | null {
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    return `fetch of a ${url.protocol} URL is not allowed: use http or https`;
  }
  const hostname = url.hostname.toLowerCase();
  const forbidden = forbiddenAddressReason(hostname);
  if (forbidden !== null) return `fetch to ${url.host} is not allowed: ${hostname} ${forbidden}`;

  const host = url.port === "" ? hostname : `${hostname}:${url.port}`;
  if (allowedHosts.some((entry) => entry.toLowerCase() === host)) return null;
  return `fetch to ${url.host} is not allowed: list the host in manifest.json allowed_hosts`;
}

/**
 * Returns why a host name can never be allowed, as a phrase that follows the name, or null.
 * `hostname` is a URL's hostname, which the URL parser has already normalized: decimal, octal
 * and hex IPv4 forms all become dotted decimal there.
 */
export function forbiddenAddressReason(hostname: string): string | null {
  const octets = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(hostname);
  if (octets === null) return null;
  if (octets[1] === "169" && octets[2] === "254") {
    return "is a link-local address (169.254.0.0/16, where cloud metadata services listen), which scripts may never reach";
  }
  if (octets[1] === "0") return "is in 0.0.0.0/8, which connects to the local machine, so scripts may never reach it";
  return null;
}

/**
 * Returns why an allowed_hosts entry's host part (without `:port`) can never be allowed, or
 * null. The entry is normalized as a URL would be, so `2852039166` and `0xa9fea9fe` count as
 * 169.254.169.254.
 */
export function forbiddenHostReason(host: string): string | null {
  let hostname = host.toLowerCase();
  try {
    hostname = new URL(`http://${host}/`).hostname;
  } catch {
    // A host that is not valid in a URL is not an address; the manifest check rejects it.
  }
  return forbiddenAddressReason(hostname);
}

/**
 * The same rule as JavaScript source for the sandbox, which cannot import this module. It
 * defines outboundRejection(url, allowedHosts). The sandbox tests run both forms on one table
 * of cases.
 */
export const OUTBOUND_REJECTION_SOURCE = `function forbiddenAddressReason(hostname) {
  const octets = /^(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})$/.exec(hostname);
  if (octets === null) return null;
  if (octets[1] === "169" && octets[2] === "254") {
    return "is a link-local address (169.254.0.0/16, where cloud metadata services listen), which scripts may never reach";
  }
  if (octets[1] === "0") return "is in 0.0.0.0/8, which connects to the local machine, so scripts may never reach it";
  return null;
}

function outboundRejection(url, allowedHosts) {
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    return "fetch of a " + url.protocol + " URL is not allowed: use http or https";
  }
  const hostname = url.hostname.toLowerCase();
  const forbidden = forbiddenAddressReason(hostname);
  if (forbidden !== null) return "fetch to " + url.host + " is not allowed: " + hostname + " " + forbidden;

  const host = url.port === "" ? hostname : hostname + ":" + url.port;
  if (allowedHosts.some((entry) => entry.toLowerCase() === host)) return null;
  return "fetch to " + url.host + " is not allowed: list the host in manifest.json allowed_hosts";
}`;
