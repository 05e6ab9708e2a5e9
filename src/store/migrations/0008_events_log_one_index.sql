-- Live Events keep one secondary index: (workspace_id, type, actor_id, timestamp desc, id desc). Reads of
-- several or all sources of a workspace go through it too (store/events_log_repo.ts: a skip scan for the
-- source ids, then each source newest first, merged). The workspace-wide index cost every insert ~13%
-- more database CPU (bench/ingest.ts).
drop index if exists events_log_workspace;
