-- OAuth 2.1 for MCP clients: registered clients, grants (one per user and client), codes,
-- access and refresh tokens; browser login sessions and the login throttle.
-- Every secret (client secrets, codes, tokens) is kept only as a salted, peppered hash.

-- A client: dynamically registered (RFC 7591, id generated here) or a Client ID Metadata Document
-- (id is the https URL of the document; the row is a cache of it, refreshed after expires_at).
create table oauth_clients (
  id text primary key,
  kind text not null check (kind in ('dynamic', 'metadata_document')),
  name text,
  redirect_uris jsonb not null,
  token_endpoint_auth_method text not null,
  secret_salt text,
  secret_hash text,
  secret_pepper_id text,
  metadata jsonb not null,
  registered_ip text,
  created_at timestamptz not null,
  last_used_at timestamptz,
  expires_at timestamptz
);
create index oauth_clients_ip on oauth_clients (registered_ip, created_at);

-- What a user approved for a client: the workspaces and the scope. Re-consent revokes the earlier one.
create table oauth_grants (
  id text primary key,
  user_id text not null references users(id) on delete cascade,
  client_id text not null references oauth_clients(id) on delete cascade,
  scope text not null,
  workspace_ids jsonb not null,
  resource text not null,
  created_at timestamptz not null,
  last_used_at timestamptz,
  revoked_at timestamptz
);
create index oauth_grants_user on oauth_grants (user_id, client_id);

-- Authorization codes: single use, 60 s, bound to the client, redirect URI, PKCE challenge and resource.
create table oauth_codes (
  id text primary key,
  grant_id text not null references oauth_grants(id) on delete cascade,
  client_id text not null,
  salt text not null,
  hash text not null,
  pepper_id text not null,
  redirect_uri text not null,
  redirect_uri_given boolean not null,
  code_challenge text not null,
  resource text not null,
  scope text not null,
  created_at timestamptz not null,
  expires_at timestamptz not null,
  used_at timestamptz
);

-- Access ('oat_' ids) and refresh ('ort_' ids) tokens. A refresh token is rotated on use: used_at records
-- the rotation, grace_used_at the one late use allowed within the grace window.
create table oauth_tokens (
  id text primary key,
  kind text not null check (kind in ('access', 'refresh')),
  grant_id text not null references oauth_grants(id) on delete cascade,
  salt text not null,
  hash text not null,
  pepper_id text not null,
  scope text not null,
  resource text not null,
  created_at timestamptz not null,
  expires_at timestamptz not null,
  used_at timestamptz,
  grace_used_at timestamptz,
  revoked_at timestamptz
);
create index oauth_tokens_grant on oauth_tokens (grant_id);

-- Browser login sessions. The id is the SHA-256 of the cookie value, so a leaked table grants nothing.
create table sessions (
  id text primary key,
  user_id text not null references users(id) on delete cascade,
  created_at timestamptz not null,
  expires_at timestamptz not null,
  last_seen_at timestamptz not null
);
create index sessions_user on sessions (user_id);

-- Failed logins per key ("acct:<email>|<ip>" and "ip:<ip>"), for the login throttle.
create table login_attempts (
  key text primary key,
  failures int not null,
  first_failure_at timestamptz not null,
  locked_until timestamptz
);
