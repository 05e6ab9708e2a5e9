/**
 * Child process for warehouse_crash_test.ts: writes one batch and stops forever at a chosen point so
 * the parent can SIGKILL it there. Args: kind, credentials JSON, events JSON, stop point
 * (`mid-transaction` = after the rows were inserted, before COMMIT; `after-commit` = committed, not acked).
 */
import { openWarehouseClient } from "../../src/destinations/warehouse/test_connection.ts";
import {
  parseMysqlCredentials,
  parsePostgresCredentials,
  parseWarehouseOptions,
} from "../../src/destinations/warehouse/credentials.ts";
import { Warehouse } from "../../src/destinations/warehouse/warehouse.ts";

const [kind, credsJson, eventsJson, stop] = Deno.args;
const creds = kind === "postgres"
  ? parsePostgresCredentials(JSON.parse(credsJson))
  : parseMysqlCredentials(JSON.parse(credsJson));
const client = await openWarehouseClient(kind as "postgres" | "mysql", creds);
const hang = () => new Promise<never>(() => {});
const wh = new Warehouse(client, parseWarehouseOptions({ mode: "batch" }), {
  faults: {
    async afterInsert() {
      if (stop !== "mid-transaction") return;
      console.log("inserted");
      await hang();
    },
  },
});
const outcome = await wh.write(JSON.parse(eventsJson));
console.log(outcome.committed ? "committed" : `failed ${outcome.error}`);
await hang();
