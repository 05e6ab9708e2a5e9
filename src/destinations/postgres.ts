import type { DestinationDriver } from "./driver.ts";
import { warehouseDriver, type WarehouseDriverOptions } from "./warehouse/warehouse_driver.ts";

/** The `postgres` destination: events as rows in PostgreSQL tables (src/destinations/warehouse). */
export function postgresDriver(options: WarehouseDriverOptions = {}): DestinationDriver {
  return warehouseDriver("postgres", options);
}
