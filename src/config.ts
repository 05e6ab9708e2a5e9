import * as v from "valibot";

/**
 * Every setting Sluice reads, with its default and what it means. README's settings table is checked
 * against this list by tests/config_test.ts, so the docs cannot drift from the code.
 */
export const SETTINGS = {
  PORT: { default: "3000", doc: "TCP port to listen on." },
  HOST: { default: "0.0.0.0", doc: "Interface to listen on (`127.0.0.1` keeps Sluice local)." },
  PUBLIC_URL: {
    default: "http://localhost:$PORT",
    doc: "The URL people and clients reach Sluice at (OAuth issuer, links in logs).",
  },
  DATABASE_URL: { default: "", doc: "`postgres://...` to use PostgreSQL; empty uses the embedded store." },
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
  ALLOWED_ORIGINS: { default: "", doc: "Comma-separated extra browser origins allowed to call `/mcp`." },
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
  PORT: v.pipe(
    v.string(),
    v.regex(/^\d{1,5}$/, "must be a port number"),
    v.transform(Number),
    v.number(),
    v.maxValue(65535, "must be at most 65535"),
  ),
  HOST: v.pipe(v.string(), v.minLength(1, "must not be empty")),
  PUBLIC_URL: v.pipe(
    url("an absolute http(s) URL"),
    v.regex(/^https?:\/\//, "must start with http:// or https://"),
  ),
  DATABASE_URL: v.union([
    v.literal(""),
    v.pipe(v.string(), v.regex(/^postgres(ql)?:\/\//, "must start with postgres:// or postgresql://")),
  ], "must start with postgres:// or postgresql://"),
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
  ALLOWED_ORIGINS: v.string(),
});

function isBase64Of32Bytes(s: string): boolean {
  try {
    return atob(s).length === 32;
  } catch {
    return false;
  }
}

export interface Config {
  port: number;
  host: string;
  publicUrl: string;
  databaseUrl: string | null;
  dataDir: string;
  logLevel: "debug" | "info" | "warn" | "error";
  logFormat: "pretty" | "json";
  adminEmail: string | null;
  adminPassword: string | null;
  pepper: string | null;
  encryptionKey: string | null;
  allowedOrigins: string[];
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
  if ((c.SLUICE_ADMIN_EMAIL === "") !== (c.SLUICE_ADMIN_PASSWORD === "")) {
    throw new ConfigError("Invalid setting SLUICE_ADMIN_EMAIL/SLUICE_ADMIN_PASSWORD: set both or neither");
  }
  return {
    port: c.PORT,
    host: c.HOST,
    publicUrl: c.PUBLIC_URL.replace(/\/+$/, ""),
    databaseUrl: c.DATABASE_URL || null,
    dataDir: c.DATA_DIR,
    logLevel: c.LOG_LEVEL,
    logFormat: c.LOG_FORMAT,
    adminEmail: c.SLUICE_ADMIN_EMAIL ? c.SLUICE_ADMIN_EMAIL.toLowerCase() : null,
    adminPassword: c.SLUICE_ADMIN_PASSWORD || null,
    pepper: c.SLUICE_PEPPER || null,
    encryptionKey: c.SLUICE_ENCRYPTION_KEY || null,
    allowedOrigins: c.ALLOWED_ORIGINS.split(",").map((s) => s.trim()).filter(Boolean),
  };
}

const SECRET_SETTINGS = new Set([
  "SLUICE_ADMIN_PASSWORD",
  "SLUICE_PEPPER",
  "SLUICE_ENCRYPTION_KEY",
  "DATABASE_URL",
]);

function maskIfSecret(name: string, value: string | undefined): string {
  if (value === undefined) return "";
  if (!SECRET_SETTINGS.has(name)) return value;
  if (name === "DATABASE_URL") return value.replace(/\/\/([^:@/]*):[^@/]*@/, "//$1:***@");
  return "***";
}
