import type * as v from "valibot";
import { ConnectionInput, connectionSchemaFor, SyncConnectionInput } from "./connection.ts";
import { DestinationInput, destinationSchema } from "./destination.ts";
import { DESTINATION_TYPE_IDS, destinationType } from "./destinations/catalog.ts";
import { FunctionInput } from "./function.ts";
import type { SecretRule } from "./secrets.ts";
import { ServiceInput } from "./service.ts";
import { StreamInput } from "./stream.ts";

/** The configuration object types, in the order docs and tools list them. */
export const RESOURCE_TYPES = ["destination", "stream", "service", "function", "connection"] as const;
export type ResourceType = typeof RESOURCE_TYPES[number];

/** The Valibot input schema of each type: REST bodies, MCP tool arguments and the published JSON Schema. */
export const ResourceInputSchemas = {
  destination: DestinationInput,
  stream: StreamInput,
  service: ServiceInput,
  function: FunctionInput,
  connection: ConnectionInput,
} as const satisfies Record<ResourceType, v.GenericSchema>;

/** What every consumer (services, JSON Schema, OpenAPI) needs to know about one type. */
export interface ResourceDef {
  type: ResourceType;
  title: string;
  subtypes: readonly string[];
  /** The schema for one subtype; undefined for an unknown subtype. */
  schemaFor(subtype: string): v.GenericSchema | undefined;
  /** Secret paths of a given object (a destination's depend on its type). */
  secrets(obj: Record<string, unknown>): SecretRule[];
  /** The fields a slim listing keeps (big ones such as code are left out). */
  slimFields: readonly string[];
}

const BASE_SLIM = ["id", "workspaceId", "type", "name", "createdAt", "updatedAt"] as const;

function destinationSecrets(obj: Record<string, unknown>): SecretRule[] {
  const d = destinationType(String(obj.destinationType));
  return d ? d.secrets : [];
}

export const RESOURCES: Record<ResourceType, ResourceDef> = {
  destination: {
    type: "destination",
    title: "Destination",
    subtypes: [...DESTINATION_TYPE_IDS, "sync"],
    schemaFor: (s) => {
      if (s === "sync") return SyncConnectionInput;
      const d = destinationType(s);
      return d && destinationSchema(d);
    },
    secrets: destinationSecrets,
    slimFields: [...BASE_SLIM, "destinationType", "deliverable"],
  },
  stream: {
    type: "stream",
    title: "Stream",
    subtypes: [],
    schemaFor: () => undefined,
    secrets: () => [],
    slimFields: [...BASE_SLIM, "domains", "strict"],
  },
  service: {
    type: "service",
    title: "Service",
    subtypes: [],
    schemaFor: () => undefined,
    secrets: () => [{ path: "credentials.**" }],
    slimFields: [...BASE_SLIM, "package", "version"],
  },
  function: {
    type: "function",
    title: "Function",
    subtypes: [],
    schemaFor: () => undefined,
    secrets: () => [],
    slimFields: [...BASE_SLIM, "description", "slug"],
  },
  connection: {
    type: "connection",
    title: "Connection",
    subtypes: [...DESTINATION_TYPE_IDS, "sync"],
    schemaFor: (s) => {
      if (s === "sync") return SyncConnectionInput;
      const d = destinationType(s);
      return d && connectionSchemaFor(d);
    },
    secrets: () => [{ path: "data.functionsEnv.*" }],
    slimFields: ["id", "workspaceId", "type", "name", "fromId", "toId", "createdAt", "updatedAt"],
  },
};

/** Whether `type` is one of {@linkcode RESOURCE_TYPES}. */
export function isResourceType(type: string): type is ResourceType {
  return (RESOURCE_TYPES as readonly string[]).includes(type);
}
