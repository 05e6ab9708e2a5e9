-- The web console's tables: event statistics, workspace invites and password reset links.

-- Counts of events per workspace, stream, connection, status and period, written as ingest and the
-- pipeline work (src/store/event_stat_repo.ts). Each count goes to its minute row and its hour row
-- (`granularity`); retention (src/events_log/retention.ts) keeps minute rows 7 days, hour rows 90 days.
-- `stream_id` / `connection_id` / `destination_id` are '' when they do not apply (an incoming event has no
-- connection yet), so they can be part of the primary key.
-- No foreign keys, like events_log: counting never fails a pipeline commit.
create table event_stat (
  workspace_id text not null,
  period timestamptz not null,
  granularity text not null check (granularity in ('minute', 'hour')),
  stream_id text not null,
  connection_id text not null,
  destination_id text not null,
  status text not null,
  events bigint not null,
  primary key (workspace_id, period, stream_id, connection_id, destination_id, status, granularity)
);

-- A one-time invite to a workspace for an email that has no account yet: only a SHA-256 of the token
-- is kept (like setup_tokens).
create table workspace_invites (
  token_hash text primary key,
  workspace_id text not null references workspaces(id) on delete cascade,
  email text not null,
  role text not null check (role in ('owner', 'editor', 'analyst')),
  invited_by text references users(id) on delete set null,
  created_at timestamptz not null,
  expires_at timestamptz not null,
  used_at timestamptz
);
create index workspace_invites_workspace on workspace_invites (workspace_id);

-- A one-time password reset link (`sluice user reset-password`), hashed like the invites.
create table password_resets (
  token_hash text primary key,
  user_id text not null references users(id) on delete cascade,
  created_at timestamptz not null,
  expires_at timestamptz not null,
  used_at timestamptz
);
