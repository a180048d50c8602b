-- Playground sessions: each browser visitor gets a workspace of kind 'playground', held by a
-- cookie. Only the SHA-256 of the session token is stored, so a copy of the database cannot
-- be replayed as a cookie.

CREATE TABLE playground_sessions (
  id TEXT PRIMARY KEY,
  workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  -- Lowercase hex SHA-256 of the token that the cookie carries.
  token_hash TEXT NOT NULL UNIQUE,
  created_at TEXT NOT NULL,
  -- Updated at most once a minute; a session unused for 24 hours has expired.
  last_used_at TEXT NOT NULL
);
CREATE INDEX playground_sessions_by_workspace ON playground_sessions (workspace_id);

-- The sweep looks for idle playground workspaces by kind and last use.
CREATE INDEX workspaces_by_kind_last_used ON workspaces (kind, last_used_at);
