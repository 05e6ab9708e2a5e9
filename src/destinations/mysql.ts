import type { DestinationDriver } from "./driver.ts";
import { warehouseDriver, type WarehouseDriverOptions } from "./warehouse/warehouse_driver.ts";

/** The `mysql` destination (MySQL and MariaDB): events as rows in tables (src/destinations/warehouse). */
export function mysqlDriver(options: WarehouseDriverOptions = {}): DestinationDriver {
  return warehouseDriver("mysql", options);
}
