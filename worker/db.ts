/**
 * D1 access with a statement counter. The benchmark and the tests read the count of a run
 * to check that it does not grow with the number of secrets a script reads, so every
 * statement goes through `Db` and is counted, never estimated.
 */

/** D1 allows at most 100 bound parameters per statement. */
export const MAX_BOUND_PARAMETERS = 100;

export class Db {
  /** Statements sent to D1 so far, a batch counting each of its statements. */
  statements = 0;

  constructor(readonly d1: D1Database) {}

  prepare(sql: string, ...values: unknown[]): D1PreparedStatement {
    return this.d1.prepare(sql).bind(...values);
  }

  async all<T>(sql: string, ...values: unknown[]): Promise<T[]> {
    this.statements += 1;
    const result = await this.prepare(sql, ...values).all<T>();
    return result.results;
  }

  async first<T>(sql: string, ...values: unknown[]): Promise<T | null> {
    this.statements += 1;
    return this.prepare(sql, ...values).first<T>();
  }

  async run(sql: string, ...values: unknown[]): Promise<D1Result> {
    this.statements += 1;
    return this.prepare(sql, ...values).run();
  }

  /** Runs the statements in one round trip, as one transaction: all succeed or none does. */
  async batch<T = unknown>(statements: D1PreparedStatement[]): Promise<D1Result<T>[]> {
    if (statements.length === 0) return [];
    this.statements += statements.length;
    return this.d1.batch<T>(statements);
  }
}

/**
 * Splits rows into groups whose bound parameters stay within D1's limit of 100 per
 * statement, for multi-row INSERT statements.
 */
export function chunkRows<T>(rows: T[], parametersPerRow: number): T[][] {
  const rowsPerChunk = Math.max(1, Math.floor(MAX_BOUND_PARAMETERS / parametersPerRow));
  const chunks: T[][] = [];
  for (let start = 0; start < rows.length; start += rowsPerChunk) {
    chunks.push(rows.slice(start, start + rowsPerChunk));
  }
  return chunks;
}

/** Builds `(?, ?, ?), (?, ?, ?)` for a multi-row INSERT of `rowCount` rows. */
export function placeholders(rowCount: number, parametersPerRow: number): string {
  const row = `(${Array.from({ length: parametersPerRow }, () => "?").join(", ")})`;
  return Array.from({ length: rowCount }, () => row).join(", ");
}
