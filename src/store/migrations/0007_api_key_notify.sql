-- API key rows are cached in each instance for API_KEY_CACHE_SECONDS (src/auth/key_cache.ts). Any change
-- that matters to authentication (revoked, expiry, hash moved to a new pepper, owner) and any change to a
-- user's identity notifies every instance on channel `sluice_auth`, whatever made the change (the REST
-- API, the CLI in another process, or an operator's SQL): a trigger cannot be forgotten by a new code path.
-- The payload is the key id, or `*` (forget every cached key). NOTIFY is delivered at commit.
create function sluice_api_key_changed() returns trigger language plpgsql as $$
begin
  perform pg_notify('sluice_auth', old.id);
  return null;
end $$;

create trigger api_keys_auth_changed after update on api_keys for each row
  when (old.revoked_at is distinct from new.revoked_at
     or old.expires_at is distinct from new.expires_at
     or old.hash is distinct from new.hash
     or old.salt is distinct from new.salt
     or old.pepper_id is distinct from new.pepper_id
     or old.user_id is distinct from new.user_id)
  execute function sluice_api_key_changed();

create trigger api_keys_auth_deleted after delete on api_keys for each row
  execute function sluice_api_key_changed();

create function sluice_user_changed() returns trigger language plpgsql as $$
begin
  perform pg_notify('sluice_auth', '*');
  return null;
end $$;

create trigger users_auth_changed after update on users for each row
  when (old.email is distinct from new.email or old.is_admin is distinct from new.is_admin)
  execute function sluice_user_changed();

create trigger users_auth_deleted after delete on users for each row
  execute function sluice_user_changed();
