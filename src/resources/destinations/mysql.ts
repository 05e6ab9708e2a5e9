import { int, oneOf, optText, text } from "../base.ts";
import { warehouseOptions } from "./options.ts";
import type { DestinationType } from "./types.ts";

export const mysql: DestinationType = {
  id: "mysql",
  title: "MySQL / MariaDB",
  description: "Writes events as rows into MySQL or MariaDB tables, creating and widening tables as needed.",
  tags: ["warehouse"],
  credentials: {
    host: text("Server host name or IP address.", { max: 255 }),
    port: int("Server port.", 3306, 1, 65535),
    sslMode: oneOf(["disable", "preferred", "require", "verify-full"], "TLS mode.", "preferred"),
    database: text("Database name.", { max: 255 }),
    username: text("User name.", { max: 255 }),
    password: optText("Password.", { max: 1000 }),
  },
  secrets: [{ path: "password" }],
  connectionOptions: warehouseOptions(),
  deliverable: true,
};
