/**
 * Builds the rows of the guide's Limits table from worker/limits.ts: the values come from the
 * module itself, and each description from the doc comment above the constant.
 */
export interface LimitRow {
  name: string;
  value: string;
  description: string;
}

const KiB = 1024;
const MiB = 1024 * KiB;

/** Formats a limit by its unit, which the constant's name carries (_BYTES, _MS, or a count). */
export function formatLimit(name: string, value: number): string {
  if (name.endsWith("_BYTES")) {
    if (value >= MiB && value % MiB === 0) return `${value / MiB} MiB`;
    if (value >= KiB && value % KiB === 0) return `${value / KiB} KiB`;
    return `${value} bytes`;
  }
  if (name.endsWith("_MS")) {
    if (value >= 3_600_000 && value % 3_600_000 === 0) return `${value / 3_600_000} h`;
    if (value >= 60_000 && value % 60_000 === 0) return `${value / 60_000} min`;
    if (value >= 1000 && value % 1000 === 0) return `${value / 1000} s`;
    return `${value} ms`;
  }
  return value.toLocaleString("en-US");
}

/** Maps each exported constant's name to the text of the doc comment directly above it. */
export function docComments(source: string): Map<string, string> {
  const comments = new Map<string, string>();
  const pattern = /\/\*\*([\s\S]*?)\*\/\s*export const (\w+)/g;
  for (const match of source.matchAll(pattern)) {
    const text = (match[1] ?? "")
      .split("\n")
      .map((line) => line.replace(/^\s*\*\s?/, "").trim())
      .filter((line) => line.length > 0)
      .join(" ");
    comments.set(match[2] ?? "", text);
  }
  return comments;
}

/** Turns a constant's name into words, for constants without a doc comment. */
function describeName(name: string): string {
  const words = name.toLowerCase().replace(/_(bytes|ms)$/, "").split("_").join(" ");
  return words.charAt(0).toUpperCase() + words.slice(1) + ".";
}

/** Lists every numeric export of the limits module, in source order. */
export function limitRows(module: Record<string, unknown>, source: string): LimitRow[] {
  const comments = docComments(source);
  const order = [...source.matchAll(/export const (\w+)/g)].map((match) => match[1] ?? "");
  const rows: LimitRow[] = [];
  for (const name of order) {
    const value = module[name];
    if (typeof value !== "number") continue;
    rows.push({ name, value: formatLimit(name, value), description: comments.get(name) ?? describeName(name) });
  }
  return rows;
}
