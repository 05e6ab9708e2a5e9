-- A claim, a lease renewal and a release change only `locked_until`, which no index holds. With room left
-- in the row's page PostgreSQL updates it in place (a HOT update): no new entry in the primary key and in
-- `event_queue_ready`, so claims write less and later claims walk fewer index entries. Ingest fills the
-- pages to the brim by default (fillfactor 100), so nearly every claim was a full update. Applies to pages
-- written from now on; queue rows are short-lived, so the table turns over quickly.
alter table event_queue set (fillfactor = 50);
