/**
 * D1 reads and statement builders for projects, packages and scripts. Every query filters by
 * workspace_id. Builders return statements for the caller's single db.batch(), so a package
 * and everything that belongs to it is written or deleted as one transaction.
 */
import { chunkRows, placeholders, type Db } from "../db";
import type { ScriptFile } from "./upload";

export interface ProjectRow {
  id: string;
  name: string;
  description: string;
  created_at: string;
  updated_at: string;
}

export interface PackageRow {
  id: string;
  workspace_id: string;
  project_id: string;
  name: string;
  description: string;
  config: string;
  entrypoint: string | null;
  allow_manual_triggering: number;
  active: number;
  timeout_ms: number;
  allowed_hosts: string;
  created_at: string;
  updated_at: string;
}

export interface PackageSummaryRow {
  id: string;
  name: string;
  description: string;
  script_count: number;
  created_at: string;
  updated_at: string;
}

export interface ScriptInfoRow {
  position: number;
  file_name: string;
  size: number;
  sha256: string;
  updated_at: string;
}

/**
 * Tests whether a D1 error is a UNIQUE violation on `table`, for two requests racing past
 * a pre-check. SQLite names the table in the message ("UNIQUE constraint failed: packages.name").
 */
export function isUniqueViolation(error: unknown, table: string): boolean {
  return error instanceof Error && error.message.includes(`UNIQUE constraint failed: ${table}.`);
}

export function findProject(db: Db, workspaceId: string, projectId: string): Promise<ProjectRow | null> {
  return db.first<ProjectRow>(
    "SELECT id, name, description, created_at, updated_at FROM projects WHERE workspace_id = ? AND id = ?",
    workspaceId,
    projectId,
  );
}

export function findProjectByName(db: Db, workspaceId: string, name: string): Promise<{ id: string } | null> {
  return db.first<{ id: string }>("SELECT id FROM projects WHERE workspace_id = ? AND name = ?", workspaceId, name);
}

/** Lists a workspace's projects by name; `onlyProjectId` narrows the list to one project. */
export function listProjects(db: Db, workspaceId: string, onlyProjectId: string | null): Promise<ProjectRow[]> {
  const columns = "id, name, description, created_at, updated_at";
  if (onlyProjectId !== null) {
    return db.all<ProjectRow>(`SELECT ${columns} FROM projects WHERE workspace_id = ? AND id = ? ORDER BY name`, workspaceId, onlyProjectId);
  }
  return db.all<ProjectRow>(`SELECT ${columns} FROM projects WHERE workspace_id = ? ORDER BY name`, workspaceId);
}

export function insertProject(db: Db, workspaceId: string, project: ProjectRow): Promise<D1Result> {
  return db.run(
    "INSERT INTO projects (id, workspace_id, name, description, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
    project.id,
    workspaceId,
    project.name,
    project.description,
    project.created_at,
    project.updated_at,
  );
}

export function findPackage(db: Db, workspaceId: string, packageId: string): Promise<PackageRow | null> {
  return db.first<PackageRow>("SELECT * FROM packages WHERE workspace_id = ? AND id = ?", workspaceId, packageId);
}

export function findPackageByName(db: Db, workspaceId: string, projectId: string, name: string): Promise<{ id: string } | null> {
  return db.first<{ id: string }>(
    "SELECT id FROM packages WHERE workspace_id = ? AND project_id = ? AND name = ?",
    workspaceId,
    projectId,
    name,
  );
}

export function listPackages(db: Db, workspaceId: string, projectId: string): Promise<PackageSummaryRow[]> {
  return db.all<PackageSummaryRow>(
    `SELECT p.id, p.name, p.description, p.created_at, p.updated_at,
            (SELECT COUNT(*) FROM scripts s WHERE s.workspace_id = p.workspace_id AND s.package_id = p.id) AS script_count
       FROM packages p
      WHERE p.workspace_id = ? AND p.project_id = ?
      ORDER BY p.name`,
    workspaceId,
    projectId,
  );
}

export function listScripts(db: Db, workspaceId: string, packageId: string): Promise<ScriptInfoRow[]> {
  return db.all<ScriptInfoRow>(
    "SELECT position, file_name, size, sha256, updated_at FROM scripts WHERE workspace_id = ? AND package_id = ? ORDER BY position",
    workspaceId,
    packageId,
  );
}

export function findScriptSource(db: Db, workspaceId: string, packageId: string, fileName: string): Promise<{ source: string } | null> {
  return db.first<{ source: string }>(
    "SELECT source FROM scripts WHERE workspace_id = ? AND package_id = ? AND file_name = ?",
    workspaceId,
    packageId,
    fileName,
  );
}

export function insertPackageStatement(db: Db, row: PackageRow): D1PreparedStatement {
  return db.prepare(
    `INSERT INTO packages (id, workspace_id, project_id, name, description, config, entrypoint,
                           allow_manual_triggering, active, timeout_ms, allowed_hosts, created_at, updated_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    row.id,
    row.workspace_id,
    row.project_id,
    row.name,
    row.description,
    row.config,
    row.entrypoint,
    row.allow_manual_triggering,
    row.active,
    row.timeout_ms,
    row.allowed_hosts,
    row.created_at,
    row.updated_at,
  );
}

const SCRIPT_COLUMNS = 8;

/** Multi-row INSERTs of the scripts at positions 1, 2, ... in the given order. */
export function insertScriptStatements(
  db: Db,
  workspaceId: string,
  packageId: string,
  scripts: ScriptFile[],
  time: string,
): D1PreparedStatement[] {
  const rows = scripts.map((script, index) => [
    workspaceId,
    packageId,
    index + 1,
    script.fileName,
    script.source,
    script.sha256,
    script.size,
    time,
  ]);

  // Eight parameters per row, so 12 rows fit one statement within D1's 100.
  return chunkRows(rows, SCRIPT_COLUMNS).map((chunk) =>
    db.prepare(
      `INSERT INTO scripts (workspace_id, package_id, position, file_name, source, sha256, size, updated_at)
       VALUES ${placeholders(chunk.length, SCRIPT_COLUMNS)}`,
      ...chunk.flat(),
    ),
  );
}

export function deleteScriptsStatement(db: Db, workspaceId: string, packageId: string): D1PreparedStatement {
  return db.prepare("DELETE FROM scripts WHERE workspace_id = ? AND package_id = ?", workspaceId, packageId);
}

/**
 * Statements that move existing scripts to new positions. Positions are a primary key and
 * SQLite checks it row by row, so every script first moves to a negative position (-1 - new
 * position, free of clashes), then all of them flip back to their new positive position.
 */
export function reorderScriptStatements(db: Db, workspaceId: string, packageId: string, order: string[]): D1PreparedStatement[] {
  const moves = order.map((fileName, index) =>
    db.prepare(
      "UPDATE scripts SET position = ? WHERE workspace_id = ? AND package_id = ? AND file_name = ?",
      -1 - (index + 1),
      workspaceId,
      packageId,
      fileName,
    ),
  );
  const flip = db.prepare(
    "UPDATE scripts SET position = -1 - position WHERE workspace_id = ? AND package_id = ? AND position < 0",
    workspaceId,
    packageId,
  );
  return [...moves, flip];
}

/** Deletes the package row and its scripts and state; the caller adds the secrets' statements. */
export function deletePackageStatements(db: Db, workspaceId: string, packageId: string): D1PreparedStatement[] {
  return [
    deleteScriptsStatement(db, workspaceId, packageId),
    db.prepare("DELETE FROM package_state WHERE workspace_id = ? AND package_id = ?", workspaceId, packageId),
    db.prepare("DELETE FROM packages WHERE workspace_id = ? AND id = ?", workspaceId, packageId),
  ];
}
