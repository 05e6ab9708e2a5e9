/**
 * `ctx.getWarehouse(destinationId).query(sql, params)`: runs a function's SQL on one of its workspace's
 * PostgreSQL or MySQL destinations. The sandbox calls it through the host bridge; only destinations of
 * the calling event's workspace are found (another workspace's id answers as an unknown one), and each
 * query has the function's time limit. One small pool per destination, replaced when its credentials
 * change, closed with the sandbox.
 */
import type { Deps } from "../deps.ts";
import type { WarehouseClient } from "../destinations/warehouse/client.ts";
import { parseMysqlCredentials, parsePostgresCredentials } from "../destinations/warehouse/credentials.ts";
import { openWarehouseClient } from "../destinations/warehouse/test_connection.ts";
import { plainConfig } from "../services/resource_objects.ts";
import { findConfigObjects } from "../store/resources_repo.ts";
import type { WarehouseQueries } from "./sandbox.ts";

const KINDS = new Set(["postgres", "mysql"]);

/** JSON-safe cells: BigInts as text (a bigint column), bytes as base64, dates as ISO text. */
function cell(v: unknown): unknown {
  if (typeof v === "bigint") return v.toString();
  if (v instanceof Uint8Array) return btoa(String.fromCharCode(...v));
  if (v instanceof Date) return v.toISOString();
  return v;
}

/** The warehouse queries of one server: reads destinations from `deps.db`. */
export function warehouseQueries(deps: Pick<Deps, "db" | "secrets">): WarehouseQueries {
  const pools = new Map<string, { key: string; client: Promise<WarehouseClient> }>();

  async function clientFor(workspaceId: string, destinationId: string): Promise<WarehouseClient> {
    const [row] = await findConfigObjects(deps.db, workspaceId, [destinationId]);
    const config = row?.type === "destination" ? await plainConfig(deps, row) : null;
    const kind = String(config?.destinationType ?? "");
    if (!config || !KINDS.has(kind)) {
      throw new Error(
        `Cannot query warehouse "${destinationId}": no PostgreSQL or MySQL destination with this id in the workspace`,
      );
    }
    const creds = kind === "postgres" ? parsePostgresCredentials(config) : parseMysqlCredentials(config);
    const key = JSON.stringify(creds);
    let pool = pools.get(destinationId);
    if (pool && pool.key !== key) {
      void pool.client.then((c) => c.close()).catch(() => {});
      pool = undefined;
    }
    if (!pool) {
      const client = openWarehouseClient(kind as "postgres" | "mysql", creds, { max: 2 });
      client.catch(() => pools.delete(destinationId));
      pool = { key, client };
      pools.set(destinationId, pool);
    }
    return await pool.client;
  }

  return {
    async query(workspaceId, destinationId, sql, params, timeoutMs) {
      if (!Array.isArray(params)) {
        throw new Error(
          "Cannot query warehouse: params must be an array (positional: $1, $2 in PostgreSQL; ? in MySQL)",
        );
      }
      let timer: ReturnType<typeof setTimeout> | undefined;
      const overdue = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`Warehouse query did not finish within ${timeoutMs} ms`)),
          timeoutMs,
        );
      });
      try {
        const client = await Promise.race([clientFor(workspaceId, destinationId), overdue]);
        const rows = await Promise.race([client.query(sql, params), overdue]);
        return rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, cell(v)])));
      } finally {
        clearTimeout(timer);
      }
    },
    async close() {
      const all = [...pools.values()];
      pools.clear();
      await Promise.all(all.map((p) => p.client.then((c) => c.close()).catch(() => {})));
    },
  };
}
