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

/**
 * Maps each exported constant's name to the text of the doc comment directly above it. A
 * comment body cannot contain its closing marker, so a file header or a comment above other
 * code never joins the next constant's comment.
 */
export function docComments(source: string): Map<string, string> {
  const comments = new Map<string, string>();
  const pattern = /\/\*\*((?:(?!\*\/)[\s\S])*)\*\/\s*export const (\w+)/g;
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

/**
 * Lists every numeric export of the limits module, in source order. Raises an error for a
 * constant without a doc comment, so the build fails instead of publishing a row that only
 * restates the name.
 */
export function limitRows(module: Record<string, unknown>, source: string): LimitRow[] {
  const comments = docComments(source);
  const order = [...source.matchAll(/export const (\w+)/g)].map((match) => match[1] ?? "");
  const rows: LimitRow[] = [];
  for (const name of order) {
    const value = module[name];
    if (typeof value !== "number") continue;
    const description = comments.get(name);
    if (description === undefined || description === "") {
      throw new Error(`worker/limits.ts: ${name} has no doc comment: add one that says what it limits and in what unit.`);
    }
    rows.push({ name, value: formatLimit(name, value), description });
  }
  return rows;
}
