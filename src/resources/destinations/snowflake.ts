import { oneOf, optText, text, textWithDefault } from "../base.ts";
import { warehouseOptions } from "./options.ts";
import type { DestinationType } from "./types.ts";

export const snowflake: DestinationType = {
  id: "snowflake",
  title: "Snowflake",
  description: "Loads events into Snowflake tables.",
  tags: ["warehouse"],
  credentials: {
    authenticationMethod: oneOf(["key-pair", "password"], "How to sign in.", "key-pair"),
    account: text("Account identifier, e.g. xy12345.eu-central-1.", { max: 255 }),
    username: text("User name.", { max: 255 }),
    password: optText("Password (password authentication).", { max: 1000 }),
    privateKey: optText("PEM private key (key-pair authentication).", { max: 20_000 }),
    privateKeyPassphrase: optText("Passphrase of the private key, if it has one.", { max: 1000 }),
    warehouse: text("Virtual warehouse.", { max: 255 }),
    database: text("Database name.", { max: 255 }),
    defaultSchema: textWithDefault("Schema the tables go into.", "PUBLIC"),
  },
  secrets: [{ path: "password" }, { path: "privateKey" }, { path: "privateKeyPassphrase" }],
  connectionOptions: warehouseOptions(),
  deliverable: false,
  notDeliverableReason:
    "Snowflake is a hosted service that cannot be run or faithfully stood in for in Sluice's tests; load from an S3 batch file instead.",
};
