-- Live Events: what ingest, functions and destination writes did with each event.
-- One row per entry, newest first per (workspace, type, actor). `message` is `json`, not `jsonb`: entries
-- are written often and read back whole as text, never queried inside, so keeping the text as sent
-- skips a parse on insert and a re-serialisation on read. No foreign key to workspaces: the write path
-- stays one plain insert, and retention removes entries of deleted workspaces within days.
create table events_log (
  id bigint generated always as identity primary key,
  workspace_id text not null,
  actor_id text not null,
  type text not null,
  level text not null check (level in ('debug', 'info', 'warn', 'error')),
  timestamp timestamptz not null default now(),
  message json not null
);
-- Reading one source's entries newest first, paging with a (timestamp, id) cursor.
create index events_log_actor on events_log (workspace_id, type, actor_id, timestamp desc, id desc);
-- Reading every source of a workspace at once (query_events without `source`).
create index events_log_workspace on events_log (workspace_id, type, timestamp desc, id desc);
