-- Pipeline: the ingest queue, the dead letter and the Functions key-value store.

-- One row per accepted event and destination work still to do. Ingest inserts it with
-- `connection_id` null (every live connection of the stream, resolved when processed); a retry or a
-- replay inserts it for one connection. Workers claim ready rows with FOR UPDATE SKIP LOCKED and a
-- lease (`locked_until`), so instances sharing one PostgreSQL never take the same row, and a row whose
-- instance died is taken again once its lease ends.
create table event_queue (
  id bigint generated always as identity primary key,
  workspace_id text not null,
  stream_id text not null,
  connection_id text,
  -- {event, ingestType, messageId, headers, receivedAt, origin}; json: written once, read whole.
  payload json not null,
  attempts int not null default 0,
  available_at timestamptz not null default now(),
  locked_until timestamptz,
  last_error text,
  created_at timestamptz not null default now()
);
create index event_queue_ready on event_queue (available_at, id);

-- Work that failed its last retry (or could not be retried). Replay moves rows back to event_queue.
create table dead_letter (
  id bigint generated always as identity primary key,
  workspace_id text not null,
  stream_id text not null,
  connection_id text not null,
  payload json not null,
  error text not null,
  attempts int not null,
  created_at timestamptz not null default now()
);
create index dead_letter_ws on dead_letter (workspace_id, connection_id, id desc);

-- `ctx.store` of Functions: per workspace, JSON values, optional expiry.
create table function_store (
  workspace_id text not null,
  key text not null,
  value jsonb not null,
  expires_at timestamptz,
  updated_at timestamptz not null default now(),
  primary key (workspace_id, key)
);
create index function_store_expiry on function_store (expires_at) where expires_at is not null;
