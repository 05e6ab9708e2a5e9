-- Foundation: settings (generated secrets), users, workspaces and members, personal API keys,
-- one-time setup tokens.

create table settings (
  name text primary key,
  value text not null,
  created_at timestamptz not null default now()
);

create table users (
  id text primary key,
  email text not null unique,
  name text,
  password_hash text,
  is_admin boolean not null default false,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

create table workspaces (
  id text primary key,
  name text not null,
  slug text unique,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

create table workspace_members (
  workspace_id text not null references workspaces(id) on delete cascade,
  user_id text not null references users(id) on delete cascade,
  role text not null check (role in ('owner', 'editor', 'analyst')),
  created_at timestamptz not null default now(),
  primary key (workspace_id, user_id)
);
create index workspace_members_user on workspace_members (user_id);

-- A personal API key. The bearer is `id:secret`; only a salted, peppered hash of the secret is kept.
create table api_keys (
  id text primary key,
  user_id text not null references users(id) on delete cascade,
  name text,
  hint text not null,
  salt text not null,
  hash text not null,
  pepper_id text not null,
  created_at timestamptz not null default now(),
  last_used_at timestamptz,
  expires_at timestamptz,
  revoked_at timestamptz
);
create index api_keys_user on api_keys (user_id);

create table setup_tokens (
  token_hash text primary key,
  created_at timestamptz not null default now(),
  used_at timestamptz
);
