/**
 * Tests a destination's credentials without writing events: MCP `test_connection` and REST
 * `POST /api/{ws}/config/destination/test` (Jitsu's names). Credentials come from the call, from a
 * stored destination, or both (fields sent override stored ones; a masked secret sent back means
 * "use the stored one", as in updates).
 */
import * as v from "valibot";
import type { Ctx } from "../deps.ts";
import { API_DESTINATION_TYPES, testApiConnection } from "../destinations/apis/api_drivers.ts";
import { webhookDriver } from "../destinations/webhook.ts";
import { testClickhouseConnection } from "../destinations/clickhouse/test_connection.ts";
import { testS3Connection } from "../destinations/s3/test_connection.ts";
import { testConnection, type WarehouseKind } from "../destinations/warehouse/test_connection.ts";
import { AppError, NotFoundError, ValidationError } from "../errors.ts";
import { deepMerge } from "../resources/merge.ts";
import { RESOURCES } from "../resources/registry.ts";
import { restoreMasked, retargetedSecretIssues } from "../resources/secrets.ts";
import { findConfigObject } from "../store/resources_repo.ts";
import { describeIssues, parseInput } from "../validation.ts";
import { plainConfig } from "./resource_objects.ts";
import { resolveWorkspace } from "./workspaces.ts";

const Text = v.pipe(v.string("must be a string"), v.minLength(1, "required"));

export const TestConnectionInput = v.object({
  workspaceId: Text,
  type: v.optional(v.picklist(["destination"], "must be destination"), "destination"),
  id: v.optional(Text),
  config: v.optional(v.record(v.string(), v.unknown(), "must be an object")),
});

/** What a test says: `step` is `credentials`, `connect`, `create_table` or `put_object` when it failed. */
export interface ConnectionTestAnswer {
  ok: boolean;
  destinationType: string;
  step?: string;
  error?: string;
  /** What was checked, and what cannot be checked without sending an event (API destinations). */
  message?: string;
}

// HTTP destinations: the webhook answers any request; an API is called with its credentials, sending
// no event where the API has such a call (src/destinations/apis/).
const HTTP_TESTERS: Record<
  string,
  (ctx: Ctx, credentials: Record<string, unknown>) => Promise<Omit<ConnectionTestAnswer, "destinationType">>
> = {
  webhook: (ctx, c) =>
    webhookDriver({ allowPrivateNetwork: ctx.config.destinationsAllowPrivateNetwork })
      .test!(c, { signal: AbortSignal.timeout(20_000) }),
  devnull: () =>
    Promise.resolve({ ok: true, message: "Checked: nothing to check; devnull accepts every event." }),
  ...Object.fromEntries(API_DESTINATION_TYPES.map((type) => [
    type,
    (ctx: Ctx, c: Record<string, unknown>) =>
      testApiConnection(type, c, { allowPrivateNetwork: ctx.config.destinationsAllowPrivateNetwork }),
  ])),
};

// Destination types that can be tested, and how. Warehouses: connect + create/drop a probe table;
// S3: put and delete a probe object.
const TESTERS: Record<
  string,
  (credentials: unknown, ctx: Ctx) => Promise<{ ok: boolean; step?: string; error?: string }>
> = {
  postgres: (c) => testConnection("postgres" satisfies WarehouseKind, c),
  mysql: (c) => testConnection("mysql" satisfies WarehouseKind, c),
  clickhouse: (c, ctx) =>
    testClickhouseConnection(c, { allowPrivateNetwork: ctx.config.destinationsAllowPrivateNetwork }),
  s3: (c, ctx) => testS3Connection(c, { allowPrivateNetwork: ctx.config.destinationsAllowPrivateNetwork }),
};

/** Destination types test_connection can check. */
export const TESTABLE_DESTINATION_TYPES = [...Object.keys(TESTERS), ...Object.keys(HTTP_TESTERS)];

/**
 * Checks that Sluice can reach and write to a destination. Needs write access: the test logs in with the
 * stored credentials and creates (then drops) a table in the warehouse.
 */
export async function testDestinationConnection(ctx: Ctx, input: unknown): Promise<ConnectionTestAnswer> {
  const action = "Cannot test connection";
  const q = parseInput(TestConnectionInput, input, action);
  if (!q.id && !q.config) {
    throw new ValidationError(`${action}: give id (a stored destination) or config (its fields), or both`, [
      { path: "id", message: "id or config is required" },
    ]);
  }
  const ws = await resolveWorkspace(ctx, q.workspaceId, { write: true });
  let stored: Record<string, unknown> = {};
  if (q.id) {
    const row = await findConfigObject(ctx.db, ws.id, "destination", q.id);
    if (!row) throw new NotFoundError(`destination "${q.id}" not found in workspace "${q.workspaceId}"`);
    stored = await plainConfig(ctx, row);
  }
  let config = stored;
  if (q.config) {
    const merged = deepMerge(stored, q.config);
    const restored = restoreMasked(q.config, stored, RESOURCES.destination.secrets(merged));
    if (restored.issues.length) {
      throw new ValidationError(`${action}: config.${describeIssues(restored.issues)}`, restored.issues);
    }
    config = deepMerge(stored, restored.value);
    const moved = retargetedSecretIssues(restored.kept, config, stored);
    if (moved.length) throw new ValidationError(`${action}: config.${describeIssues(moved)}`, moved);
  }
  const destinationType = typeof config.destinationType === "string" ? config.destinationType : "";
  if (!destinationType) {
    throw new ValidationError(`${action}: config.destinationType: required`, [
      { path: "config.destinationType", message: "required" },
    ]);
  }
  const http = HTTP_TESTERS[destinationType];
  if (http) {
    const r = await http(ctx, config);
    return {
      ok: r.ok,
      destinationType,
      ...(r.step ? { step: r.step } : {}),
      ...(r.error ? { error: r.error } : {}),
      ...(r.message ? { message: r.message } : {}),
    };
  }
  const tester = TESTERS[destinationType];
  if (!tester) {
    throw new AppError(
      "not_supported",
      `${action}: destination type "${destinationType}" has no connection test; testable types: ` +
        TESTABLE_DESTINATION_TYPES.join(", "),
      { status: 400 },
    );
  }
  const r = await tester(config, ctx);
  return {
    ok: r.ok,
    destinationType,
    ...(r.step ? { step: r.step } : {}),
    ...(r.error ? { error: r.error } : {}),
  };
}
