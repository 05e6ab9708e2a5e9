-- Ingest writes each event's JSON once (issue 6's batch target). Until now an accepted event was stored
-- twice: in its `incoming` Live Events entry (whose `body` is the whole ingest message) and again as its
-- queue row's payload. Now ingest's queue row refers to the entry (`log_id`) and carries no payload; the
-- pipeline rebuilds the payload from the entry when it claims the row (store/ingest_repo.ts). Rows the
-- pipeline writes itself (retries, batch-mode rows, replays) still carry their payload.
-- Retention never deletes an entry a queue row still refers to (store/events_log_repo.ts).
alter table event_queue add column log_id bigint;
alter table event_queue alter column payload drop not null;
alter table event_queue add constraint event_queue_payload_or_log check (payload is not null or log_id is not null);

-- JSON columns become text. Sluice writes them only from JSON.stringify output and reads them only as
-- text, and validating every document on insert was ~9% of the database's CPU while ingesting
-- (PostgreSQL's json_lex, measured with perf). `json` stores the text unchanged, so nothing read changes.
alter table events_log alter column message type text;
alter table event_queue alter column payload type text;
alter table dead_letter alter column payload type text;
