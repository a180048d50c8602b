/** Creates an id such as `pkg_3f9a0c1d2e4b5a6c7d8e9f01`: a type prefix and 96 random bits. */
export function newId(prefix: string): string {
  const bytes = crypto.getRandomValues(new Uint8Array(12));
  let hex = "";
  for (const byte of bytes) hex += byte.toString(16).padStart(2, "0");
  return `${prefix}_${hex}`;
}

/** Returns the current time as an ISO 8601 string in UTC, the format of every stored time. */
export function now(): string {
  return new Date().toISOString();
}
