-- Object ids are unique per workspace, not globally: a workspace that creates an object with an id
-- another workspace uses gets what it gets for an unused id, so a create can no longer tell whether an
-- id exists elsewhere. Every lookup of an object names its workspace; stream keys point at their stream
-- through the workspace too. Existing rows keep their ids (they were unique, so they still are).

alter table stream_keys drop constraint stream_keys_stream_id_fkey;
alter table config_objects drop constraint config_objects_pkey;
alter table config_objects add constraint config_objects_pkey primary key (workspace_id, id);
alter table stream_keys add constraint stream_keys_stream_fkey foreign key (workspace_id, stream_id)
  references config_objects (workspace_id, id) on delete cascade;

drop index stream_keys_stream;
create index stream_keys_stream on stream_keys (workspace_id, stream_id);
drop index config_objects_from;
create index config_objects_from on config_objects (workspace_id, from_id) where deleted_at is null;
drop index config_objects_to;
create index config_objects_to on config_objects (workspace_id, to_id) where deleted_at is null;
drop index audit_log_object;
create index audit_log_object on audit_log (workspace_id, object_id);

-- Stream key ids too: a stream may bring a key id another workspace uses. Ingest finds a key by its id
-- and then by its secret (src/ingest/write_key.ts).
alter table stream_keys drop constraint stream_keys_pkey;
alter table stream_keys add constraint stream_keys_pkey primary key (workspace_id, id);
create index stream_keys_id on stream_keys (id);
