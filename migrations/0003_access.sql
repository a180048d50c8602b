-- API tokens with roles, and the audit trail of every secret read and write.

CREATE TABLE api_tokens (
  id TEXT PRIMARY KEY,
  workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  -- SHA-256 of the token in hex. The token itself is shown once, at creation, and never stored.
  token_hash TEXT NOT NULL UNIQUE,
  -- 'administrator' for the workspace, or a project role: 'owner', 'admin' or 'user'.
  role TEXT NOT NULL CHECK (role IN ('administrator', 'owner', 'admin', 'user')),
  -- Set for project roles, NULL for administrators.
  project_id TEXT REFERENCES projects (id) ON DELETE CASCADE,
  created_at TEXT NOT NULL,
  created_by TEXT NOT NULL,
  expires_at TEXT,
  last_used_at TEXT,
  revoked_at TEXT,
  CHECK ((role = 'administrator') = (project_id IS NULL))
);
CREATE INDEX api_tokens_by_workspace ON api_tokens (workspace_id, created_at);

-- Who created each project: its first Owner.
ALTER TABLE projects ADD COLUMN created_by TEXT NOT NULL DEFAULT 'admin';

CREATE TABLE audit_events (
  -- Increasing, so that the trail reads in the order the events were recorded.
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  workspace_id TEXT NOT NULL,
  at TEXT NOT NULL,
  -- 'token', 'admin', 'session' or 'script'.
  actor_type TEXT NOT NULL,
  -- A token id, 'admin', a session's workspace id, or an execution id for a script.
  actor_id TEXT NOT NULL,
  actor_name TEXT,
  action TEXT NOT NULL,
  scope TEXT,
  owner_id TEXT,
  project_id TEXT,
  package_id TEXT,
  execution_id TEXT,
  secret_name TEXT,
  request_id TEXT,
  -- A short description of the event, such as the reason a request was refused; never a value.
  detail TEXT
);
CREATE INDEX audit_by_workspace ON audit_events (workspace_id, seq);
CREATE INDEX audit_by_secret ON audit_events (workspace_id, secret_name, seq);
CREATE INDEX audit_by_package ON audit_events (workspace_id, package_id, seq);

-- The trail is append-only: no statement may change a record. Deleting a whole workspace,
-- as the playground does when a session expires, removes its records with it.
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN
  SELECT RAISE(ABORT, 'audit records cannot be changed');
END;
