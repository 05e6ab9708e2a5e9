/**
 * Source-side commands of a service's connector: spec, check and discover (MCP get_connector_spec,
 * check_source_credentials, discover_streams and Jitsu's /sources/{spec,check,discover}). Secrets
 * (`airbyte_secret` fields of the spec; every credential value when the spec cannot be read) are
 * masked in everything returned or logged.
 */
import { assertConnectorsCanRun } from "../runtime/profile.ts";
import * as v from "valibot";
import type { Ctx, Deps } from "../deps.ts";
import { AppError, NotFoundError } from "../errors.ts";
import { plainConfig } from "../services/resource_objects.ts";
import { resolveWorkspace } from "../services/workspaces.ts";
import { findConfigObject } from "../store/resources_repo.ts";
import { parseInput } from "../validation.ts";
import { type ConnectorCommand, runConnector } from "./connector.ts";
import { resolveLauncher } from "./launcher.ts";
import {
  type AirbyteStream,
  type ConnectorMessage,
  maskSecrets,
  secretPaths,
  secretValues,
} from "./protocol.ts";

const Text = v.pipe(v.string("must be a string"), v.minLength(1, "required"));
const COMMAND_LIMIT_MS = 120_000;

export const SpecInput = v.object({ workspaceId: Text, package: Text, version: v.optional(Text) });
export const ServiceRefInput = v.object({ workspaceId: Text, serviceId: Text });

/** A service's connector: where it runs and its decrypted configuration. */
export interface SourceConnector {
  pkg: string;
  version: string;
  credentials: Record<string, unknown>;
}

/** Loads a service of the workspace with its credentials decrypted (for the connector only). */
export async function loadSource(
  ctx: Pick<Deps, "db" | "secrets">,
  workspaceId: string,
  serviceId: string,
): Promise<SourceConnector> {
  const row = await findConfigObject(ctx.db, workspaceId, "service", serviceId);
  if (!row) throw new NotFoundError(`service "${serviceId}" not found in workspace "${workspaceId}"`);
  const cfg = await plainConfig(ctx, row);
  return {
    pkg: String(cfg.package),
    version: String(cfg.version ?? "latest"),
    credentials: (cfg.credentials ?? {}) as Record<string, unknown>,
  };
}

function commandLimit(deps: Pick<Deps, "config">): number {
  return Math.min(COMMAND_LIMIT_MS, deps.config.syncTimeoutSeconds * 1000);
}

/** Every string leaf of a config: masked when the spec (and so which fields are secret) is unknown. */
function allStrings(x: unknown): string[] {
  if (typeof x === "string") return x.length >= 3 ? [x] : [];
  if (typeof x === "number") return [String(x)];
  if (Array.isArray(x)) return x.flatMap(allStrings);
  if (x && typeof x === "object") return Object.values(x).flatMap(allStrings);
  return [];
}

/** Runs one command to its end and collects its messages. Fails with the connector's own words. */
export async function collect(
  deps: Pick<Deps, "config">,
  src: Pick<SourceConnector, "pkg" | "version">,
  command: ConnectorCommand,
  o: { config?: unknown; secrets?: readonly string[] } = {},
): Promise<{ messages: ConnectorMessage[]; code: number | null; stderr: string }> {
  assertConnectorsCanRun(deps.config, src.pkg);
  const launch = await resolveLauncher({
    connectorsDir: deps.config.syncConnectorsDir,
    pkg: src.pkg,
    version: src.version,
    runId: crypto.randomUUID().slice(0, 8),
  });
  const messages: ConnectorMessage[] = [];
  const out = await runConnector({
    launch,
    command,
    files: o.config === undefined ? {} : { config: o.config },
    timeoutMs: commandLimit(deps),
    secrets: o.secrets,
    onMessage(m) {
      messages.push(m);
    },
  });
  if (out.stopped === "timeout") {
    throw new AppError(
      "connector_timeout",
      `Connector "${src.pkg}" ${command} did not finish within ${
        commandLimit(deps) / 1000
      } s and was stopped`,
      { status: 504 },
    );
  }
  return { messages, code: out.code, stderr: out.stderr };
}

function failure(
  src: SourceConnector | { pkg: string },
  command: string,
  r: { code: number | null; stderr: string; messages: ConnectorMessage[] },
  secrets: readonly string[],
): AppError {
  const trace = r.messages.find((m) => m.type === "TRACE");
  const why = trace?.type === "TRACE"
    ? trace.message
    : r.stderr.trim().split("\n").slice(-3).join(" ") || `exit code ${r.code}`;
  return new AppError(
    "connector_failed",
    maskSecrets(`Connector "${src.pkg}" ${command} failed: ${why}`, secrets),
    {
      status: 422,
    },
  );
}

/** The connector's spec (SPEC message) and the dotted paths of its secret fields. */
export async function connectorSpec(
  deps: Pick<Deps, "config">,
  src: Pick<SourceConnector, "pkg" | "version">,
): Promise<{ spec: Record<string, unknown>; secretFields: string[] }> {
  const r = await collect(deps, src, "spec");
  const m = r.messages.find((x) => x.type === "SPEC");
  if (m?.type !== "SPEC") throw failure(src, "spec", r, []);
  return { spec: m.spec, secretFields: secretPaths(m.spec.connectionSpecification) };
}

/** Secret values of a service's config: its spec's airbyte_secret fields, or every value without a spec. */
export async function sourceSecrets(deps: Pick<Deps, "config">, src: SourceConnector): Promise<string[]> {
  try {
    const { secretFields } = await connectorSpec(deps, src);
    return secretValues(src.credentials, secretFields);
  } catch {
    return allStrings(src.credentials).sort((a, b) => b.length - a.length);
  }
}

/** `get_connector_spec`. */
export async function getConnectorSpec(ctx: Ctx, input: unknown) {
  const q = parseInput(SpecInput, input, "Cannot get connector spec");
  await resolveWorkspace(ctx, q.workspaceId);
  const { spec, secretFields } = await connectorSpec(ctx, { pkg: q.package, version: q.version ?? "latest" });
  return { ok: true, package: q.package, version: q.version ?? "latest", spec, secretFields };
}

/** `check_source_credentials`: runs `check` with the service's stored configuration. */
export async function checkSourceCredentials(ctx: Ctx, input: unknown) {
  const q = parseInput(ServiceRefInput, input, "Cannot check source credentials");
  const ws = await resolveWorkspace(ctx, q.workspaceId, { write: true });
  const src = await loadSource(ctx, ws.id, q.serviceId);
  const secrets = await sourceSecrets(ctx, src);
  const r = await collect(ctx, src, "check", { config: src.credentials, secrets });
  const status = r.messages.find((m) => m.type === "CONNECTION_STATUS");
  if (status?.type !== "CONNECTION_STATUS") throw failure(src, "check", r, secrets);
  return {
    ok: status.status === "SUCCEEDED",
    status: status.status,
    ...(status.message ? { message: maskSecrets(status.message, secrets) } : {}),
  };
}

/** `discover_streams`: the streams the connector offers with the service's configuration. */
export async function discoverStreams(
  ctx: Ctx,
  input: unknown,
): Promise<{ ok: boolean; streams: AirbyteStream[] }> {
  const q = parseInput(ServiceRefInput, input, "Cannot discover streams");
  const ws = await resolveWorkspace(ctx, q.workspaceId, { write: true });
  const src = await loadSource(ctx, ws.id, q.serviceId);
  const secrets = await sourceSecrets(ctx, src);
  const r = await collect(ctx, src, "discover", { config: src.credentials, secrets });
  const catalog = r.messages.find((m) => m.type === "CATALOG");
  if (catalog?.type !== "CATALOG") throw failure(src, "discover", r, secrets);
  return { ok: true, streams: catalog.streams };
}
