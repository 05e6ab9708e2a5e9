-- Ingest writes each event's JSON once, for bench/ingest.ts's batch target (batched ingest at least
-- half the raw multi-row INSERT rate). Until now an accepted event was stored
-- twice: in its `incoming` Live Events entry (whose `body` is the whole ingest message) and again as its
-- queue row's payload. Now ingest's queue row refers to the entry (`log_id`) and carries no payload; the
-- pipeline rebuilds the payload from the entry when it claims the row (store/ingest_repo.ts). Rows the
-- pipeline writes itself (retries, batch-mode rows, replays) still carry their payload.
-- Retention never deletes an entry a queue row still refers to (store/events_log_repo.ts), and the trigger
-- below refuses any delete that would: an instance older than this migration still running beside a new one
-- (a rolling upgrade) would otherwise trim entries whose events are waiting. Its retention fails loudly and
-- deletes nothing instead, and its claims fail on rows without a payload (logged, the lease ends, a new
-- instance takes them). Statement-level, so it costs one join per retention run, nothing per insert.
alter table event_queue add column log_id bigint;
alter table event_queue alter column payload drop not null;
alter table event_queue add constraint event_queue_payload_or_log check (payload is not null or log_id is not null);

create function events_log_keep_queued() returns trigger language plpgsql as $$
begin
  if exists (select 1 from gone g join event_queue q on q.log_id = g.id) then
    raise exception 'cannot delete Live Events entries of events still in the queue (an instance older than migration 9 may be running: stop it)'
      using errcode = 'restrict_violation';
  end if;
  return null;
end $$;
create trigger events_log_keep_queued after delete on events_log
  referencing old table as gone for each statement execute function events_log_keep_queued();

-- JSON columns become text (this rewrites the three tables under an exclusive lock: ~13 s for a million
-- Live Events entries on our machines). Sluice writes them only from JSON.stringify output and reads them only as
-- text, and validating every document on insert was ~9% of the database's CPU while ingesting
-- (PostgreSQL's json_lex, measured with perf). `json` stores the text unchanged, so nothing read changes.
alter table events_log alter column message type text;
alter table event_queue alter column payload type text;
alter table dead_letter alter column payload type text;
