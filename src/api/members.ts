import { Hono } from "hono";
import * as v from "valibot";
import { readJson } from "../http/body.ts";
import type { AppEnv } from "../http/env.ts";
import { route } from "../http/route.ts";
import {
  addMember,
  cancelInvite,
  listMembers,
  removeMember,
  ROLES,
  updateMemberRole,
} from "../services/members.ts";
import { EmailSchema } from "../services/users.ts";
import { documented, errors, jsonBody, ok, pathParam } from "./route_docs.ts";

const TAGS = ["Members"];
const WS = pathParam("ws", "Workspace id or slug");
const USER = pathParam("userId", "The member's user id");
const RoleBody = v.object({ role: v.picklist(ROLES) });

function body(value: unknown): Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? value as Record<string, unknown>
    : {};
}

/**
 * `GET|POST /api/workspace/{ws}/members`, `PATCH|DELETE /api/workspace/{ws}/members/{userId}`,
 * `DELETE /api/workspace/{ws}/invites/{email}`. Authentication comes from the `/api/workspace/*` guard
 * in src/app.ts.
 */
export function membersRouter() {
  const app = new Hono<AppEnv>();
  route(app, "/api/workspace/:ws/members", {
    GET: documented(
      {
        tags: TAGS,
        summary: "Members and pending invites of a workspace",
        parameters: [WS],
        responses: {
          "200": ok(
            "`{members: [{userId, email, name, role, createdAt}], invites: [{email, role, createdAt, expiresAt}]}`",
          ),
          ...errors("401", "404"),
        },
      },
      async (c) => c.json(await listMembers(c.get("ctx"), { workspaceId: c.req.param("ws")! })),
    ),
    POST: documented(
      {
        tags: TAGS,
        summary: "Add a user by email with a role, or invite an email that has no account",
        description: "Owners and admins only. An existing user becomes a member (`{member}`); an email " +
          "without an account gets a one-time invite link, valid 7 days and shown only here (`{invite}` " +
          "with `link`).",
        parameters: [WS],
        requestBody: jsonBody(v.object({ email: EmailSchema, role: v.picklist(ROLES) })),
        responses: { "201": ok("`{member}` or `{invite}`"), ...errors("400", "401", "403", "404", "409") },
      },
      async (c) =>
        c.json(
          await addMember(c.get("ctx"), { ...body(await readJson(c)), workspaceId: c.req.param("ws")! }),
          201,
        ),
    ),
  });
  route(app, "/api/workspace/:ws/members/:userId", {
    PATCH: documented(
      {
        tags: TAGS,
        summary: "Change a member's role (owners and admins; the last owner stays owner)",
        parameters: [WS, USER],
        requestBody: jsonBody(RoleBody),
        responses: { "200": ok("The member"), ...errors("400", "401", "403", "404", "409") },
      },
      async (c) =>
        c.json(
          await updateMemberRole(c.get("ctx"), {
            role: body(await readJson(c)).role,
            workspaceId: c.req.param("ws")!,
            userId: c.req.param("userId")!,
          }),
        ),
    ),
    DELETE: documented(
      {
        tags: TAGS,
        summary: "Remove a member (owners and admins; never the last owner)",
        parameters: [WS, USER],
        responses: { "200": ok("`{removed: true, userId}`"), ...errors("401", "403", "404", "409") },
      },
      async (c) =>
        c.json(
          await removeMember(c.get("ctx"), {
            workspaceId: c.req.param("ws")!,
            userId: c.req.param("userId")!,
          }),
        ),
    ),
  });
  route(app, "/api/workspace/:ws/invites/:email", {
    DELETE: documented(
      {
        tags: TAGS,
        summary: "Withdraw a pending invite (owners and admins)",
        parameters: [WS, pathParam("email", "The invited email")],
        responses: { "200": ok("`{cancelled: true, email}`"), ...errors("400", "401", "403", "404") },
      },
      async (c) =>
        c.json(
          await cancelInvite(c.get("ctx"), { workspaceId: c.req.param("ws")!, email: c.req.param("email")! }),
        ),
    ),
  });
  return app;
}
