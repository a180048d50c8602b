-- Ferris Edge storage. Every row carries workspace_id, and every query filters by it.
-- Times are ISO 8601 strings in UTC. Secret values are stored only as AES-GCM blobs.

CREATE TABLE workspaces (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('local', 'playground')),
  -- Whether a script may write platform-scope secrets.
  allow_script_platform_secrets INTEGER NOT NULL DEFAULT 1,
  created_at TEXT NOT NULL,
  last_used_at TEXT NOT NULL
);

-- The workspace that the admin token acts in, locally and on a deployment.
INSERT INTO workspaces (id, name, kind, created_at, last_used_at)
VALUES ('ws_local', 'Local workspace', 'local', strftime('%Y-%m-%dT%H:%M:%fZ', 'now'),
        strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));

CREATE TABLE projects (
  id TEXT PRIMARY KEY,
  workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  UNIQUE (workspace_id, name)
);

CREATE TABLE packages (
  id TEXT PRIMARY KEY,
  workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  project_id TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  -- config.json as JSON text, read by scripts through context.config.
  config TEXT NOT NULL DEFAULT '{}',
  -- The file name of the one script to run, from manifest.json; NULL runs every script.
  entrypoint TEXT,
  allow_manual_triggering INTEGER NOT NULL DEFAULT 1,
  active INTEGER NOT NULL DEFAULT 1,
  timeout_ms INTEGER NOT NULL DEFAULT 30000,
  -- JSON array of host names that scripts may fetch.
  allowed_hosts TEXT NOT NULL DEFAULT '[]',
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  UNIQUE (workspace_id, project_id, name)
);

CREATE TABLE scripts (
  workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  package_id TEXT NOT NULL REFERENCES packages (id) ON DELETE CASCADE,
  position INTEGER NOT NULL,
  file_name TEXT NOT NULL,
  source TEXT NOT NULL,
  sha256 TEXT NOT NULL,
  size INTEGER NOT NULL,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (package_id, position),
  UNIQUE (package_id, file_name)
);

-- One AES-GCM-256 data key per secret owner, wrapped by the platform key.
-- scope is 'package', 'project' or 'platform'; a platform owner_id is the workspace id.
CREATE TABLE data_keys (
  workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  scope TEXT NOT NULL CHECK (scope IN ('package', 'project', 'platform')),
  owner_id TEXT NOT NULL,
  wrapped_key BLOB NOT NULL,
  platform_key_id TEXT NOT NULL,
  created_at TEXT NOT NULL,
  PRIMARY KEY (workspace_id, scope, owner_id)
);

CREATE TABLE secrets (
  workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  scope TEXT NOT NULL CHECK (scope IN ('package', 'project', 'platform')),
  owner_id TEXT NOT NULL,
  name TEXT NOT NULL,
  -- lower(name), so that two names differing only in case cannot coexist.
  name_folded TEXT NOT NULL,
  -- Format version byte, 96-bit IV, then AES-GCM ciphertext with its 128-bit tag.
  ciphertext BLOB NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  -- Who wrote the current value: a token id, 'admin' or an execution id.
  updated_by TEXT NOT NULL,
  PRIMARY KEY (workspace_id, scope, owner_id, name),
  UNIQUE (workspace_id, scope, owner_id, name_folded)
);

CREATE TABLE executions (
  id TEXT PRIMARY KEY,
  workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  -- No foreign key: executions stay readable after their package is deleted.
  package_id TEXT NOT NULL,
  package_name TEXT NOT NULL,
  project_id TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('pending', 'in_progress', 'completed', 'failed')),
  trigger TEXT NOT NULL CHECK (trigger IN ('manual')),
  params TEXT NOT NULL DEFAULT '{}',
  -- 'step_failed', 'timeout', 'interrupted', 'integrity' and the like.
  failure_reason TEXT,
  created_at TEXT NOT NULL,
  started_at TEXT,
  finished_at TEXT,
  -- D1 statements the run issued, counted in code by the API and the executor.
  d1_queries INTEGER
);
CREATE INDEX executions_by_package ON executions (workspace_id, package_id, created_at DESC, id DESC);

CREATE TABLE steps (
  workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  execution_id TEXT NOT NULL REFERENCES executions (id) ON DELETE CASCADE,
  position INTEGER NOT NULL,
  file_name TEXT NOT NULL,
  status TEXT NOT NULL
    CHECK (status IN ('pending', 'in_progress', 'completed', 'failed', 'unprocessed')),
  -- JSON array of { stream, time, text } lines, already masked.
  output TEXT NOT NULL DEFAULT '[]',
  output_truncated INTEGER NOT NULL DEFAULT 0,
  -- JSON { message, stack } when the step failed, already masked.
  error TEXT,
  failure_reason TEXT,
  -- JSON array of { name, scope } for each secret the step read or wrote.
  provenance TEXT NOT NULL DEFAULT '[]',
  started_at TEXT,
  finished_at TEXT,
  PRIMARY KEY (execution_id, position)
);

-- Per-package state that scripts keep across runs through context.state.
CREATE TABLE package_state (
  workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  package_id TEXT NOT NULL REFERENCES packages (id) ON DELETE CASCADE,
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (package_id, key)
);
