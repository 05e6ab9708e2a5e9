import * as v from "valibot";

/**
 * Every setting Sluice reads, with its default and what it means. docs/settings.md's table is checked
 * against this list by tests/config_test.ts, so the docs cannot drift from the code.
 */
export const SETTINGS = {
  RUNTIME: {
    default: "",
    doc:
      "`machine` or `deploy` (Deno Deploy: PostgreSQL required, no files written, Functions in in-process Workers, background work also driven by `Deno.cron` and requests; docs/deploy.md). Empty: `deploy` when `DENO_DEPLOYMENT_ID` is set, else `machine`.",
  },
  PORT: { default: "3000", doc: "TCP port to listen on." },
  HOST: {
    default: "127.0.0.1",
    doc: "Interface to listen on; `0.0.0.0` shares Sluice with the network (the Docker image sets it).",
  },
  HTTP_HEADER_TIMEOUT_MS: {
    default: "10000",
    doc:
      "A new connection that has not sent a whole request head in this many ms is closed (slow-header clients).",
  },
  HTTP_IDLE_TIMEOUT_MS: {
    default: "75000",
    doc:
      "A kept-alive connection with no request for this many ms is closed; keep it above your proxy's upstream keep-alive timeout.",
  },
  HTTP_MAX_CONNECTIONS: {
    default: "4096",
    doc:
      "Open client connections at most; more are refused with 503 at once. Lowered to 3/4 of the free file descriptors (`ulimit -n`).",
  },
  PUBLIC_URL: {
    default: "http://localhost:$PORT",
    doc: "The URL people and clients reach Sluice at (OAuth issuer, links in logs).",
  },
  DATABASE_URL: { default: "", doc: "`postgres://...` to use PostgreSQL; empty uses the embedded store." },
  DATABASE_POOL_MAX: {
    default: "10",
    doc: "PostgreSQL connections per instance for transactions (ingest, the queue, writes).",
  },
  DATABASE_STATEMENT_POOL_MAX: {
    default: "2",
    doc:
      "PostgreSQL connections per instance for single statements (reads); few busy connections pipeline more (docs/performance.md).",
  },
  DATA_DIR: { default: ".sluice", doc: "Folder of the embedded store (unused with `DATABASE_URL`)." },
  LOG_LEVEL: { default: "info", doc: "`debug`, `info`, `warn` or `error`." },
  LOG_FORMAT: { default: "pretty", doc: "`pretty` (one readable line) or `json` (one JSON object a line)." },
  SLUICE_ADMIN_EMAIL: { default: "", doc: "With the password: the first admin, created on first start." },
  SLUICE_ADMIN_PASSWORD: { default: "", doc: "Password of that first admin (at least 8 characters)." },
  SLUICE_PEPPER: {
    default: "",
    doc: "Secret mixed into every API-key hash. Generated and kept in the store when empty.",
  },
  SLUICE_ENCRYPTION_KEY: {
    default: "",
    doc: "Base64 of 32 bytes: encrypts stored credentials. Generated and kept in the store when empty.",
  },
  API_KEY_CACHE_SECONDS: {
    default: "5",
    doc:
      "How long a looked-up API key row may be reused; revocations still apply at once (0 looks up every request).",
  },
  METRICS_TOKEN: {
    default: "",
    doc:
      "Serves Prometheus metrics at `/metrics` to `Authorization: Bearer <token>` (at least 16 characters); empty turns `/metrics` off.",
  },
  ALLOWED_ORIGINS: { default: "", doc: "Comma-separated extra browser origins allowed to call `/mcp`." },
  FUNCTIONS_TIMEOUT_MS: {
    default: "5000",
    doc: "Wall-clock limit of one Function call, in ms; then it is stopped.",
  },
  FUNCTIONS_MEMORY_MB: {
    default: "128",
    doc:
      "Heap limit of a workspace's Functions runner process, in MB; over it the runner is restarted. On Deno Deploy (no runner process): how much the server's resident memory may grow while a workspace's Functions run (docs/deploy.md).",
  },
  FUNCTIONS_ALLOW_PRIVATE_NETWORK: {
    default: "false",
    doc: "`true` lets `ctx.fetch` reach loopback and private addresses (never cloud metadata).",
  },
  GEOIP_DATABASE: {
    default: "",
    doc:
      "Path of a MaxMind-format `.mmdb` city database (several: comma-separated, e.g. separate IPv4 and IPv6 files) that fills Functions' `ctx.geo`; empty: `ctx.geo` is undefined.",
  },
  DESTINATIONS_ALLOW_PRIVATE_NETWORK: {
    default: "true",
    doc:
      "`false` keeps webhook and API destinations off private addresses (API `http://` needs `true`; cloud metadata is always refused).",
  },
  TRUST_PROXY: {
    default: "false",
    doc: "`true` takes the client IP from `X-Forwarded-For` / `X-Real-Ip` (only behind a proxy you run).",
  },
  TRUST_PROXY_HOPS: {
    default: "1",
    doc:
      "With `TRUST_PROXY`: how many proxies you run in a row (e.g. 2 for a CDN in front of nginx); sign-in and registration limits key on the address the outermost one saw.",
  },
  QUEUE_MAX_DEPTH: {
    default: "1000000",
    doc: "Events waiting in the queue beyond which ingest answers 503 with `Retry-After`.",
  },
  PIPELINE_WORKERS: { default: "2", doc: "Queue consumers per instance (0 = this instance only ingests)." },
  PIPELINE_BATCH_SIZE: { default: "200", doc: "Queue rows a consumer claims at once." },
  PIPELINE_CONCURRENCY: {
    default: "8",
    doc:
      "Chunks of queue rows processed at once per instance, all connections together; a slow connection holds only its own (docs/pipeline.md).",
  },
  PIPELINE_RETRIES: { default: "3", doc: "Retries of a failed delivery before it goes to the dead letter." },
  PIPELINE_RETRY_BASE_MS: {
    default: "60000",
    doc: "First retry delay in ms; each next retry waits 4 times longer (at most a day).",
  },
  EVENTS_LOG_MAX_PER_SOURCE: {
    default: "10000",
    doc: "Live Events kept per source and type (errors are counted apart, so successes never evict them).",
  },
  EVENTS_LOG_MAX_AGE_DAYS: { default: "7", doc: "Live Events older than this many days are deleted." },
  SYNC_CONNECTORS_DIR: {
    default: "",
    doc:
      "Folder of local sync connectors: a service whose `package` names a file in it runs that file (docs/syncs.md); empty: Docker images only.",
  },
  SYNC_TIMEOUT_SECONDS: {
    default: "21600",
    doc:
      "Wall-clock limit of one sync run in seconds (spec, check and discover: at most 120); then the connector is killed.",
  },
} as const;

export type SettingName = keyof typeof SETTINGS;

function oneOf<const T extends readonly string[]>(values: T) {
  return v.picklist(values, `must be one of ${values.join(", ")}`);
}

const url = (what: string) =>
  v.pipe(
    v.string(),
    v.check((s) => {
      try {
        new URL(s);
        return true;
      } catch {
        return false;
      }
    }, `must be ${what}`),
  );

const ConfigSchema = v.object({
  RUNTIME: v.picklist(
    ["", "machine", "deploy"] as const,
    "must be machine or deploy (or empty: deploy when DENO_DEPLOYMENT_ID is set)",
  ),
  PORT: v.pipe(
    v.string(),
    v.regex(/^\d{1,5}$/, "must be a port number"),
    v.transform(Number),
    v.number(),
    v.maxValue(65535, "must be at most 65535"),
  ),
  HOST: v.pipe(v.string(), v.minLength(1, "must not be empty")),
  HTTP_HEADER_TIMEOUT_MS: intSetting(100, 600_000),
  HTTP_IDLE_TIMEOUT_MS: intSetting(100, 3_600_000),
  HTTP_MAX_CONNECTIONS: intSetting(1, 1_000_000),
  PUBLIC_URL: v.pipe(
    url("an absolute http(s) URL"),
    v.regex(/^https?:\/\//, "must start with http:// or https://"),
  ),
  DATABASE_URL: v.union([
    v.literal(""),
    v.pipe(v.string(), v.regex(/^postgres(ql)?:\/\//, "must start with postgres:// or postgresql://")),
  ], "must start with postgres:// or postgresql://"),
  DATABASE_POOL_MAX: intSetting(1, 1000),
  DATABASE_STATEMENT_POOL_MAX: intSetting(1, 1000),
  DATA_DIR: v.pipe(v.string(), v.minLength(1, "must not be empty")),
  LOG_LEVEL: oneOf(["debug", "info", "warn", "error"] as const),
  LOG_FORMAT: oneOf(["pretty", "json"] as const),
  SLUICE_ADMIN_EMAIL: v.union(
    [v.literal(""), v.pipe(v.string(), v.email("must be an email address"))],
    "must be an email address",
  ),
  SLUICE_ADMIN_PASSWORD: v.union([
    v.literal(""),
    v.pipe(v.string(), v.minLength(8, "must be at least 8 characters")),
  ], "must be at least 8 characters"),
  SLUICE_PEPPER: v.union([
    v.literal(""),
    v.pipe(v.string(), v.minLength(16, "must be at least 16 characters")),
  ], "must be at least 16 characters"),
  SLUICE_ENCRYPTION_KEY: v.union([
    v.literal(""),
    v.pipe(v.string(), v.check(isBase64Of32Bytes, "must be base64 of 32 bytes")),
  ], "must be base64 of 32 bytes"),
  METRICS_TOKEN: v.union([
    v.literal(""),
    v.pipe(v.string(), v.minLength(16, "must be at least 16 characters")),
  ], "must be at least 16 characters"),
  ALLOWED_ORIGINS: v.string(),
  API_KEY_CACHE_SECONDS: intSetting(0, 300),
  FUNCTIONS_TIMEOUT_MS: intSetting(100, 600_000),
  FUNCTIONS_MEMORY_MB: intSetting(16, 16_384),
  FUNCTIONS_ALLOW_PRIVATE_NETWORK: boolSetting(),
  GEOIP_DATABASE: v.string(),
  DESTINATIONS_ALLOW_PRIVATE_NETWORK: boolSetting(),
  TRUST_PROXY: boolSetting(),
  TRUST_PROXY_HOPS: intSetting(1, 10),
  QUEUE_MAX_DEPTH: intSetting(1, 1_000_000_000),
  PIPELINE_WORKERS: intSetting(0, 64),
  PIPELINE_BATCH_SIZE: intSetting(1, 10_000),
  PIPELINE_CONCURRENCY: intSetting(1, 256),
  PIPELINE_RETRIES: intSetting(0, 100),
  PIPELINE_RETRY_BASE_MS: intSetting(1, 86_400_000),
  EVENTS_LOG_MAX_PER_SOURCE: intSetting(1, 100_000_000),
  EVENTS_LOG_MAX_AGE_DAYS: intSetting(1, 3650),
  SYNC_CONNECTORS_DIR: v.string(),
  SYNC_TIMEOUT_SECONDS: intSetting(1, 604_800),
});

function intSetting(min: number, max: number) {
  return v.pipe(
    v.string(),
    v.regex(/^\d+$/, "must be a whole number"),
    v.transform(Number),
    v.number(),
    v.minValue(min, `must be at least ${min}`),
    v.maxValue(max, `must be at most ${max}`),
  );
}

function boolSetting() {
  return v.pipe(oneOf(["true", "false", "1", "0"] as const), v.transform((s) => s === "true" || s === "1"));
}

function isBase64Of32Bytes(s: string): boolean {
  try {
    return atob(s).length === 32;
  } catch {
    return false;
  }
}

export interface Config {
  /** Where Sluice runs: `deploy` is Deno Deploy's profile (src/runtime/profile.ts). */
  runtime: "machine" | "deploy";
  port: number;
  host: string;
  /** A connection without a whole request head after this many ms is closed. */
  httpHeaderTimeoutMs: number;
  /** A kept-alive connection without a request for this many ms is closed. */
  httpIdleTimeoutMs: number;
  /** Open client connections at most (before the file-descriptor clamp of src/http/fd_limit.ts). */
  httpMaxConnections: number;
  publicUrl: string;
  databaseUrl: string | null;
  databasePoolMax: number;
  databaseStatementPoolMax: number;
  dataDir: string;
  logLevel: "debug" | "info" | "warn" | "error";
  logFormat: "pretty" | "json";
  adminEmail: string | null;
  adminPassword: string | null;
  pepper: string | null;
  encryptionKey: string | null;
  /** Bearer token of `GET /metrics`; null turns it off. */
  metricsToken: string | null;
  allowedOrigins: string[];
  apiKeyCacheSeconds: number;
  functionsTimeoutMs: number;
  functionsMemoryMb: number;
  functionsAllowPrivateNetwork: boolean;
  /** `.mmdb` files behind `ctx.geo` (empty: no geo). */
  geoipDatabases: string[];
  destinationsAllowPrivateNetwork: boolean;
  trustProxy: boolean;
  /** Proxies in a row that TRUST_PROXY trusts: the limits' address is this many hops from the right. */
  trustProxyHops: number;
  queueMaxDepth: number;
  pipelineWorkers: number;
  pipelineBatchSize: number;
  pipelineConcurrency: number;
  pipelineRetries: number;
  pipelineRetryBaseMs: number;
  eventsLogMaxPerSource: number;
  eventsLogMaxAgeDays: number;
  /** Folder of local connectors (read only from the environment); empty: none. */
  syncConnectorsDir: string;
  syncTimeoutSeconds: number;
}

/** Thrown by {@linkcode loadConfig}: one line naming the variable and what is wrong. */
export class ConfigError extends Error {
  override name = "ConfigError";
}

/** Pure: reads settings from `env` (a plain object, so tests need no real environment). */
export function loadConfig(env: Record<string, string | undefined>): Config {
  const raw: Record<string, string> = {};
  for (const [name, s] of Object.entries(SETTINGS)) raw[name] = env[name] ?? s.default;
  if (raw.PUBLIC_URL === SETTINGS.PUBLIC_URL.default) raw.PUBLIC_URL = `http://localhost:${raw.PORT}`;
  const res = v.safeParse(ConfigSchema, raw);
  if (!res.success) {
    const issue = res.issues[0];
    const name = v.getDotPath(issue) ?? "setting";
    throw new ConfigError(
      `Invalid setting ${name}=${JSON.stringify(maskIfSecret(name, raw[name]))}: ${issue.message}`,
    );
  }
  const c = res.output;
  const runtime = c.RUNTIME || (env.DENO_DEPLOYMENT_ID ? "deploy" : "machine");
  if (runtime === "deploy" && c.DATABASE_URL === "") {
    throw new ConfigError(
      `Invalid setting DATABASE_URL="": Deno Deploy ${
        c.RUNTIME ? "(RUNTIME=deploy)" : "(DENO_DEPLOYMENT_ID is set)"
      } needs PostgreSQL: set DATABASE_URL=postgres://...; the embedded store writes files, which Deploy does not allow`,
    );
  }
  if ((c.SLUICE_ADMIN_EMAIL === "") !== (c.SLUICE_ADMIN_PASSWORD === "")) {
    throw new ConfigError("Invalid setting SLUICE_ADMIN_EMAIL/SLUICE_ADMIN_PASSWORD: set both or neither");
  }
  return {
    runtime,
    port: c.PORT,
    // Deploy routes its traffic to whatever the isolate serves on; a loopback-only default could not be reached.
    host: runtime === "deploy" && env.HOST === undefined ? "0.0.0.0" : c.HOST,
    httpHeaderTimeoutMs: c.HTTP_HEADER_TIMEOUT_MS,
    httpIdleTimeoutMs: c.HTTP_IDLE_TIMEOUT_MS,
    httpMaxConnections: c.HTTP_MAX_CONNECTIONS,
    publicUrl: c.PUBLIC_URL.replace(/\/+$/, ""),
    databaseUrl: c.DATABASE_URL || null,
    databasePoolMax: c.DATABASE_POOL_MAX,
    databaseStatementPoolMax: c.DATABASE_STATEMENT_POOL_MAX,
    dataDir: c.DATA_DIR,
    logLevel: c.LOG_LEVEL,
    logFormat: c.LOG_FORMAT,
    adminEmail: c.SLUICE_ADMIN_EMAIL ? c.SLUICE_ADMIN_EMAIL.toLowerCase() : null,
    adminPassword: c.SLUICE_ADMIN_PASSWORD || null,
    pepper: c.SLUICE_PEPPER || null,
    encryptionKey: c.SLUICE_ENCRYPTION_KEY || null,
    metricsToken: c.METRICS_TOKEN || null,
    allowedOrigins: c.ALLOWED_ORIGINS.split(",").map((s) => s.trim()).filter(Boolean),
    apiKeyCacheSeconds: c.API_KEY_CACHE_SECONDS,
    functionsTimeoutMs: c.FUNCTIONS_TIMEOUT_MS,
    functionsMemoryMb: c.FUNCTIONS_MEMORY_MB,
    functionsAllowPrivateNetwork: c.FUNCTIONS_ALLOW_PRIVATE_NETWORK,
    geoipDatabases: c.GEOIP_DATABASE.split(",").map((p) => p.trim()).filter((p) => p !== ""),
    destinationsAllowPrivateNetwork: c.DESTINATIONS_ALLOW_PRIVATE_NETWORK,
    trustProxy: c.TRUST_PROXY,
    trustProxyHops: c.TRUST_PROXY_HOPS,
    queueMaxDepth: c.QUEUE_MAX_DEPTH,
    pipelineWorkers: c.PIPELINE_WORKERS,
    pipelineBatchSize: c.PIPELINE_BATCH_SIZE,
    pipelineConcurrency: c.PIPELINE_CONCURRENCY,
    pipelineRetries: c.PIPELINE_RETRIES,
    pipelineRetryBaseMs: c.PIPELINE_RETRY_BASE_MS,
    eventsLogMaxPerSource: c.EVENTS_LOG_MAX_PER_SOURCE,
    eventsLogMaxAgeDays: c.EVENTS_LOG_MAX_AGE_DAYS,
    syncConnectorsDir: c.SYNC_CONNECTORS_DIR,
    syncTimeoutSeconds: c.SYNC_TIMEOUT_SECONDS,
  };
}

const SECRET_SETTINGS = new Set([
  "SLUICE_ADMIN_PASSWORD",
  "SLUICE_PEPPER",
  "SLUICE_ENCRYPTION_KEY",
  "DATABASE_URL",
  "METRICS_TOKEN",
]);

function maskIfSecret(name: string, value: string | undefined): string {
  if (value === undefined) return "";
  if (!SECRET_SETTINGS.has(name)) return value;
  if (name === "DATABASE_URL") return value.replace(/\/\/([^:@/]*):[^@/]*@/, "//$1:***@");
  return "***";
}
