// Writes site/dist/_headers after the Astro build, so that Cloudflare serves every static
// file with the security headers the Worker puts on API responses. Inline scripts of the
// build (Starlight's theme script, for one) are allowed by their SHA-256 hashes.
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { contentSecurityPolicy, SECURITY_HEADERS } from "../worker/http/security-headers.ts";

const distDirectory = process.argv[2] ?? "site/dist";

function htmlFiles(directory: string): string[] {
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) return htmlFiles(path);
    return entry.name.endsWith(".html") ? [path] : [];
  });
}

// An inline script is a <script> element without a src attribute; its text is hashed as is.
const INLINE_SCRIPT = /<script(?![^>]*\bsrc=)[^>]*>([\s\S]*?)<\/script>/g;

const hashes = new Set<string>();
for (const file of htmlFiles(distDirectory)) {
  for (const match of readFileSync(file, "utf8").matchAll(INLINE_SCRIPT)) {
    const text = match[1] ?? "";
    if (text.trim() === "") continue;
    hashes.add(createHash("sha256").update(text, "utf8").digest("base64"));
  }
}

const lines = ["/*", `  Content-Security-Policy: ${contentSecurityPolicy([...hashes].sort())}`];
for (const [name, value] of Object.entries(SECURITY_HEADERS)) lines.push(`  ${name}: ${value}`);
writeFileSync(join(distDirectory, "_headers"), `${lines.join("\n")}\n`);
console.log(`site-headers: wrote ${distDirectory}/_headers with ${hashes.size} inline script hashes.`);
