/**
 * The four object pages of the console and, for each, the JSON Schema its form is generated from: the
 * schema `get_resource_schema` returns (a destination's and a connection's depend on the destination type).
 */
import { resourceJsonSchema } from "../../resources/json_schema.ts";
import { RESOURCES, type ResourceType } from "../../resources/registry.ts";
import { getResource, listResources } from "../../services/resources.ts";
import type { Choices, Field } from "./schema_form.tsx";
import { schemaFields } from "./schema_form.tsx";
import type { ConsolePage } from "./shell.tsx";

export interface Kind {
  /** URL segment: `streams`. */
  path: string;
  type: ResourceType;
  /** Navigation name and page title. */
  title: string;
  one: string;
  /** Fields the form leaves out: ids (minted), keys (their own form), drafts, the fixed type. */
  skip: string[];
}

export const KINDS: Record<string, Kind> = {
  streams: {
    path: "streams",
    type: "stream",
    title: "Streams",
    one: "stream",
    skip: ["id", "publicKeys", "privateKeys"],
  },
  destinations: {
    path: "destinations",
    type: "destination",
    title: "Destinations",
    one: "destination",
    skip: ["id"],
  },
  connections: {
    path: "connections",
    type: "connection",
    title: "Connections",
    one: "connection",
    skip: ["id"],
  },
  functions: {
    path: "functions",
    type: "function",
    title: "Functions",
    one: "function",
    skip: ["id", "draft"],
  },
};

/** A form: its fields, the values fixed by the page (a destination's type), and select choices. */
export interface FormSpec {
  fields: Field[];
  fixed: Record<string, unknown>;
  choices: Choices;
  /** The destination type, for destinations and connections. */
  subtype?: string;
}

type Obj = Record<string, unknown> & { id: string; name?: string };

/** Every object of a type in the page's workspace (for lists and selects); the service's own listing. */
export async function allOf(page: ConsolePage, type: ResourceType): Promise<Obj[]> {
  const { objects } = await listResources(page.ctx, { workspaceId: page.workspace.id, type, limit: 1000 });
  return objects as Obj[];
}

async function destinationTypeOf(page: ConsolePage, id: string): Promise<string | undefined> {
  try {
    const d = await getResource(page.ctx, { workspaceId: page.workspace.id, type: "destination", id });
    return String(d.destinationType);
  } catch {
    return undefined;
  }
}

/**
 * The form of `kind` for `values` (an existing object, a submitted form or the page's query): the
 * destination type picks the schema of destinations and connections; unknown types are the service's 404.
 */
export async function formSpec(
  page: ConsolePage,
  kind: Kind,
  values: Record<string, unknown>,
): Promise<FormSpec> {
  const def = RESOURCES[kind.type];
  if (kind.type === "destination") {
    const subtype = String(values.destinationType ?? "");
    const schema = resourceJsonSchema("destination", subtype);
    return {
      fields: schemaFields(schema, { skip: kind.skip, secrets: def.secrets({ destinationType: subtype }) }),
      fixed: { destinationType: subtype },
      choices: {},
      subtype,
    };
  }
  if (kind.type === "connection") {
    const subtype = typeof values.toId === "string" && values.toId
      ? await destinationTypeOf(page, values.toId)
      : undefined;
    const schema = resourceJsonSchema("connection", subtype);
    const [streams, destinations] = await Promise.all([allOf(page, "stream"), allOf(page, "destination")]);
    const option = (o: Obj) => ({ value: o.id, label: `${o.name ?? o.id} (${o.id})` });
    return {
      fields: schemaFields(schema, { skip: kind.skip, secrets: def.secrets({}) }),
      fixed: {},
      choices: { fromId: streams.map(option), toId: destinations.map(option) },
      subtype,
    };
  }
  return {
    fields: schemaFields(resourceJsonSchema(kind.type), { skip: kind.skip, secrets: def.secrets(values) }),
    fixed: {},
    choices: {},
  };
}
