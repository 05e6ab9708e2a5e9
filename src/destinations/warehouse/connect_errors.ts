import { errorMessage } from "./client.ts";
import type { MysqlCredentials, PostgresCredentials } from "./credentials.ts";

/** The SQL warehouses Sluice writes to. */
export type WarehouseKind = "postgres" | "mysql";

// Failures of reaching or logging in to the server (not of a statement): the same words in
// test_connection and in Live Events.
const CONNECT_CODES = new Set([
  "28P01",
  "28000",
  "3D000",
  "ECONNREFUSED",
  "ECONNRESET",
  "ENOTFOUND",
  "EAI_AGAIN",
  "CONNECT_TIMEOUT",
  "ETIMEDOUT",
  "HANDSHAKE_NO_SSL_SUPPORT",
]);

/** Whether an error is about reaching or logging in to the server. */
export function isConnectError(e: unknown): boolean {
  const errno = Number((e as { errno?: unknown })?.errno ?? 0);
  return CONNECT_CODES.has(code(e)) || [1044, 1045, 1049].includes(errno);
}

function code(e: unknown): string {
  return String((e as { code?: unknown })?.code ?? "");
}

/**
 * Asks a PostgreSQL server whether it speaks TLS (SSLRequest: no RFC, PostgreSQL's protocol documentation
 * §55.2.10).
 */
async function pgServerHasTls(host: string, port: number): Promise<boolean | null> {
  try {
    const conn = await Deno.connect({ hostname: host, port });
    try {
      await conn.write(new Uint8Array([0, 0, 0, 8, 4, 210, 22, 47]));
      const buf = new Uint8Array(1);
      const n = await conn.read(buf);
      return n === 1 ? buf[0] === 83 /* S */ : null;
    } finally {
      conn.close();
    }
  } catch {
    return null;
  }
}

/** Why a connection attempt failed, with the hint that fixes it. */
export async function describeConnectError(
  kind: WarehouseKind,
  c: PostgresCredentials | MysqlCredentials,
  e: unknown,
) {
  const where = `Cannot connect to ${kind} at ${c.host}:${c.port}`;
  const user = c.username;
  const errno = Number((e as { errno?: unknown })?.errno ?? 0);
  switch (code(e)) {
    case "28P01":
      return `${where}: password authentication failed for user "${user}" (check username and password)`;
    case "28000":
      return `${where}: ${
        errorMessage(e)
      } (check username, and that the server allows this user from this host)`;
    case "3D000":
      return `${where}: database "${c.database}" does not exist`;
    case "ECONNREFUSED":
      return `${where}: connection refused (is the server running, and are host and port right?)`;
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return `${where}: host "${c.host}" not found`;
    case "CONNECT_TIMEOUT":
    case "ETIMEDOUT":
      return `${where}: timed out (is a firewall blocking the port?)`;
    case "HANDSHAKE_NO_SSL_SUPPORT":
      return `${where}: the server does not support TLS; set sslMode to "disable" or "preferred"`;
  }
  if (errno === 1045) return `${where}: access denied for user "${user}" (wrong username or password)`;
  if (errno === 1049) return `${where}: database "${c.database}" does not exist`;
  if (errno === 1044) return `${where}: user "${user}" has no access to database "${c.database}"`;
  if (kind === "postgres" && (c as PostgresCredentials).sslMode !== "disable") {
    if (await pgServerHasTls(c.host, Number(c.port)) === false) {
      return `${where}: the server does not support TLS but sslMode is "${
        (c as PostgresCredentials).sslMode
      }"; ` +
        `set sslMode to "disable"`;
    }
  }
  return `${where}: ${errorMessage(e)}`;
}
