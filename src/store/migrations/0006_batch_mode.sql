-- Batch mode: a batch-mode connection's events wait in event_queue, one row per event and
-- connection with `batch` set, until the connection's batchSize is reached or the oldest has waited
-- `frequency` minutes; then one consumer claims them and writes them in one driver call. The queue is
-- the durable buffer: nothing is acknowledged (deleted) before its batch committed.
alter table event_queue add column batch boolean not null default false;

-- Ordinary consumers never look at waiting batch rows: a partial index keeps thousands of them from
-- sitting at the head of the ready index that every claim walks.
drop index event_queue_ready;
create index event_queue_ready on event_queue (available_at, id) where not batch;
create index event_queue_batch on event_queue (connection_id, available_at, id) where batch;
