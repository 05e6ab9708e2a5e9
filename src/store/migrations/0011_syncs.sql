-- Service syncs: runs of Airbyte-protocol source connectors into warehouse destinations.
-- Connection ids are unique per workspace only (0010_ids_per_workspace.sql), so every table here is
-- keyed by (workspace_id, connection_id): two workspaces with the same connection id never share a row.

-- One row per run of a sync connection. status: PENDING, RUNNING, SUCCESS, FAILED, CANCELLED.
-- `cancel_requested` is how cancel_sync reaches the instance that runs the task (it polls the row).
create table sync_tasks (
  id text primary key,
  workspace_id text not null,
  connection_id text not null,
  status text not null,
  trigger text not null,
  full_sync boolean not null default false,
  cancel_requested boolean not null default false,
  error text,
  -- {stream: rows written}
  metrics jsonb not null default '{}',
  started_at timestamptz not null,
  updated_at timestamptz not null,
  finished_at timestamptz
);
create index sync_tasks_connection on sync_tasks (workspace_id, connection_id, started_at desc);

-- The connector's state, saved only after the records it covers were committed to the destination.
-- stream '' holds a legacy (whole-connector) state; other rows are per-stream states.
create table sync_state (
  workspace_id text not null,
  connection_id text not null,
  stream text not null,
  state jsonb not null,
  updated_at timestamptz not null,
  primary key (workspace_id, connection_id, stream)
);

-- One run per connection at a time across instances: the holder renews `expires_at` while it runs;
-- a lease whose instance died is taken over once it expired.
create table sync_leases (
  workspace_id text not null,
  connection_id text not null,
  holder text not null,
  task_id text not null,
  expires_at timestamptz not null,
  primary key (workspace_id, connection_id)
);

-- A scheduled fire time is claimed once: the instance whose insert wins starts the run.
create table sync_schedule_fires (
  workspace_id text not null,
  connection_id text not null,
  fire_at timestamptz not null,
  primary key (workspace_id, connection_id, fire_at)
);
