import { int, oneOf, optText, text, textWithDefault } from "../base.ts";
import { warehouseOptions } from "./options.ts";
import type { DestinationType } from "./types.ts";

export const postgres: DestinationType = {
  id: "postgres",
  title: "PostgreSQL",
  description: "Writes events as rows into PostgreSQL tables, creating and widening tables as needed.",
  tags: ["warehouse"],
  credentials: {
    host: text("Server host name or IP address.", { max: 255 }),
    port: int("Server port.", 5432, 1, 65535),
    sslMode: oneOf(["disable", "require", "verify-ca", "verify-full"], "TLS mode.", "require"),
    sslServerCA: optText("PEM of the CA that signed the server certificate (verify-ca, verify-full).", {
      max: 20_000,
    }),
    database: text("Database name.", { max: 255 }),
    username: text("User name.", { max: 255 }),
    password: optText("Password.", { max: 1000 }),
    defaultSchema: textWithDefault("Schema the tables go into.", "public"),
  },
  secrets: [{ path: "password" }, { path: "sslServerCA" }],
  connectionOptions: warehouseOptions(),
  deliverable: true,
};
