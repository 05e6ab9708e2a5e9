-- Who holds a queue row's lease: a token of the claiming pipeline instance, set by every claim with
-- `locked_until`. A commit, park, renewal or release of a row names the token it claimed with, so a late one
-- (its lease ran out and another instance claimed the row since) changes nothing of the row: it cannot
-- delete, re-park, unlease or re-lease a row someone else now holds. Not indexed, so lease changes stay
-- in-place (HOT) updates (migration 13).
alter table event_queue add column lease bigint;
