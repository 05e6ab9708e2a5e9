/**
 * Routes of the object pages: every action calls the service REST and MCP call (createResource,
 * updateResource, deleteResource, runFunction), so it gets the same checks, errors and audit entries
 * (channel "ui"). Actions answer with a redirect (POST-redirect-GET) or, when the service refused, the
 * form again with its issues beside the fields.
 */
import type { Context, Hono } from "hono";
import { randomToken } from "../../auth/crypto.ts";
import { AppError, type FieldIssue } from "../../errors.ts";
import type { AppEnv } from "../../http/env.ts";
import { runFunction } from "../../sandbox/run_function.ts";
import { createResource, deleteResource, getResource, updateResource } from "../../services/resources.ts";
import { editorScriptPath } from "./assets.ts";
import { putWriteKey, takeWriteKey } from "./flash.ts";
import { allOf, formSpec, type Kind, KINDS } from "./resource_kinds.ts";
import { ConfirmDeletePage, FormPage, type FormPageProps, ListPage } from "./resource_pages.tsx";
import { readFields } from "./schema_form.tsx";
import { consoleErrorPage, type ConsolePage, openConsole, openConsoleForm } from "./shell.tsx";
import { StreamPanel } from "./stream_panel.tsx";

const NOTICES: Record<string, string> = {
  created: "Created.",
  saved: "Saved.",
  deleted: "Deleted.",
  key: "New key made.",
};

type Obj = Record<string, unknown> & { id: string };

function exposed(e: unknown): AppError {
  if (e instanceof AppError && e.expose) return e;
  throw e;
}

async function showForm(c: Context<AppEnv>, props: Omit<FormPageProps, "spec"> & { status?: number }) {
  const { status = 200, ...rest } = props;
  const spec = await formSpec(props.page, props.kind, { ...props.object, ...props.values });
  let after = rest.after;
  if (props.kind.type === "stream" && props.object) {
    const created = await takeWriteKey(c, c.get("deps"), props.page.session, props.object.id);
    after = <StreamPanel page={props.page} stream={props.object} created={created} />;
  }
  const editorSrc = props.kind.type === "function" ? await editorScriptPath() : undefined;
  return c.html(
    <FormPage {...rest} spec={spec} after={after} editorSrc={editorSrc} />,
    status as 200,
  );
}

async function getObject(page: ConsolePage, kind: Kind, id: string): Promise<Obj> {
  return await getResource(page.ctx, { workspaceId: page.workspace.id, type: kind.type, id }) as Obj;
}

function withFixed(data: Record<string, unknown>, fixed: Record<string, unknown>) {
  return { ...data, ...fixed };
}

async function create(c: Context<AppEnv>, page: ConsolePage, kind: Kind, form: Record<string, unknown>) {
  const spec = await formSpec(page, kind, form);
  const { data, issues } = readFields(spec.fields, form);
  const values = withFixed(data, spec.fixed);
  if (issues.length) {
    return await showForm(c, { page, kind, values, issues, status: 400, error: "Check the fields below." });
  }
  try {
    const out = await createResource(page.ctx, {
      workspaceId: page.workspace.id,
      type: kind.type,
      data: values,
    });
    const id = String(out.id);
    if (typeof out.writeKey === "string") {
      await putWriteKey(c, c.get("deps"), page.session, { streamId: id, kind: "server", key: out.writeKey });
    }
    return c.redirect(`${page.base}/${kind.path}/${encodeURIComponent(id)}?notice=created`, 303);
  } catch (e) {
    const err = exposed(e);
    return await showForm(c, {
      page,
      kind,
      values,
      issues: err.issues,
      error: err.message,
      status: err.status,
    });
  }
}

async function update(
  c: Context<AppEnv>,
  page: ConsolePage,
  kind: Kind,
  id: string,
  form: Record<string, unknown>,
) {
  const object = await getObject(page, kind, id);
  const spec = await formSpec(page, kind, { ...object, ...form });
  const { data, issues } = readFields(spec.fields, form, { update: true });
  const values = withFixed(data, spec.fixed);
  if (issues.length) {
    return await showForm(c, {
      page,
      kind,
      object,
      values,
      issues,
      status: 400,
      error: "Check the fields below.",
    });
  }
  try {
    const expected = typeof form.expectedUpdatedAt === "string" && form.expectedUpdatedAt
      ? { expectedUpdatedAt: form.expectedUpdatedAt }
      : {};
    await updateResource(page.ctx, {
      workspaceId: page.workspace.id,
      type: kind.type,
      id,
      data: values,
      ...expected,
    });
    return c.redirect(`${page.base}/${kind.path}/${encodeURIComponent(id)}?notice=saved`, 303);
  } catch (e) {
    const err = exposed(e);
    return await showForm(c, {
      page,
      kind,
      object,
      values,
      issues: err.issues,
      error: err.message,
      status: err.status,
    });
  }
}

async function remove(
  c: Context<AppEnv>,
  page: ConsolePage,
  kind: Kind,
  id: string,
  form: Record<string, unknown>,
) {
  const object = await getObject(page, kind, id);
  try {
    await deleteResource(page.ctx, {
      workspaceId: page.workspace.id,
      type: kind.type,
      id,
      cascade: form.cascade === "true",
    });
    return c.redirect(`${page.base}/${kind.path}?notice=deleted`, 303);
  } catch (e) {
    const err = exposed(e);
    if (err.status !== 409) throw err;
    const connections = (err.issues ?? []).filter((i) => i.path === "connections").map((i) => i.message);
    return c.html(
      <ConfirmDeletePage
        page={page}
        kind={kind}
        object={object}
        message={err.message}
        connections={connections}
      />,
      409,
    );
  }
}

/** Adds a browser or server key to a stream through updateResource; its secret is shown once. */
async function newKey(c: Context<AppEnv>, page: ConsolePage, id: string, form: Record<string, unknown>) {
  const stream = await getObject(page, KINDS.streams, id);
  const kind = form.kind === "server" ? "server" : "browser";
  const field = kind === "server" ? "privateKeys" : "publicKeys";
  const existing = ((stream[field] ?? []) as { id: string }[]).map((k) => ({ id: k.id }));
  const key = { id: `k${randomToken(9).replace(/[^A-Za-z0-9]/g, "x")}`, plaintext: randomToken(24) };
  await updateResource(page.ctx, {
    workspaceId: page.workspace.id,
    type: "stream",
    id,
    data: { [field]: [...existing, key] },
  });
  await putWriteKey(c, c.get("deps"), page.session, {
    streamId: id,
    kind,
    key: `${key.id}:${key.plaintext}`,
  });
  return c.redirect(`${page.base}/streams/${encodeURIComponent(id)}?notice=key#keys`, 303);
}

/** Runs the form's code on its sample event (runFunction, as `POST /api/{ws}/function/run`); saves nothing. */
async function run(c: Context<AppEnv>, page: ConsolePage, form: Record<string, unknown>) {
  const kind = KINDS.functions;
  const id = typeof form.functionId === "string" && form.functionId ? form.functionId : undefined;
  const object = id ? await getObject(page, kind, id) : undefined;
  const spec = await formSpec(page, kind, form);
  const { data } = readFields(spec.fields, form);
  const event = typeof form.sampleEvent === "string" ? form.sampleEvent : "";
  let parsed: unknown;
  try {
    parsed = JSON.parse(event);
  } catch {
    return await showForm(c, {
      page,
      kind,
      object,
      values: data,
      run: { event, error: "event: must be valid JSON" },
      status: 400,
    });
  }
  try {
    const result = await runFunction(page.ctx, {
      workspaceId: page.workspace.id,
      ...(data.code ? { code: data.code } : id ? { functionId: id } : {}),
      event: parsed,
    });
    return await showForm(c, { page, kind, object, values: data, run: { event, result } });
  } catch (e) {
    const err = exposed(e);
    const issues: FieldIssue[] = err.issues ?? [];
    const text = issues.length ? issues.map((i) => `${i.path}: ${i.message}`).join("; ") : err.message;
    return await showForm(c, { page, kind, object, values: data, run: { event, error: text }, status: 400 });
  }
}

/** The pages of one kind, at literal paths, so other `/:ws/...` pages never collide with them. */
function mountKind(app: Hono<AppEnv>, kind: Kind) {
  const root = `/:ws/${kind.path}`;
  app.get(root, async function listPage(c) {
    const page = await openConsole(c, c.req.param("ws") ?? "");
    if (page instanceof Response) return page;
    const objects = await allOf(page, kind.type);
    return c.html(
      <ListPage page={page} kind={kind} objects={objects} notice={NOTICES[c.req.query("notice") ?? ""]} />,
    );
  });
  app.get(`${root}/new`, async function newPage(c) {
    const page = await openConsole(c, c.req.param("ws") ?? "");
    if (page instanceof Response) return page;
    if (page.readOnly) return consoleErrorPage(c, 403, "Your role (analyst) is read-only");
    try {
      return await showForm(c, { page, kind, values: c.req.query() });
    } catch (e) {
      return consoleErrorPage(c, 404, exposed(e).message);
    }
  });
  app.get(`${root}/:id`, async function objectPage(c) {
    const page = await openConsole(c, c.req.param("ws") ?? "");
    if (page instanceof Response) return page;
    let object: Obj;
    try {
      object = await getObject(page, kind, c.req.param("id") ?? "");
    } catch (e) {
      return consoleErrorPage(c, 404, exposed(e).message);
    }
    return await showForm(c, {
      page,
      kind,
      object,
      values: object,
      notice: NOTICES[c.req.query("notice") ?? ""],
    });
  });
  app.post(root, async function createAction(c) {
    const opened = await openConsoleForm(c, c.req.param("ws") ?? "");
    if (opened instanceof Response) return opened;
    return await create(c, opened.page, kind, opened.form);
  });
  app.post(`${root}/:id`, async function updateAction(c) {
    const opened = await openConsoleForm(c, c.req.param("ws") ?? "");
    if (opened instanceof Response) return opened;
    return await guard(c, () => update(c, opened.page, kind, c.req.param("id") ?? "", opened.form));
  });
  app.post(`${root}/:id/delete`, async function deleteAction(c) {
    const opened = await openConsoleForm(c, c.req.param("ws") ?? "");
    if (opened instanceof Response) return opened;
    return await guard(c, () => remove(c, opened.page, kind, c.req.param("id") ?? "", opened.form));
  });
}

/**
 * Mounts the object pages on `app` under `/:ws/{streams,destinations,connections,functions}`; other
 * `/:ws/...` pages (members, audit log) may be mounted before or after.
 */
export function mountResourcePages(app: Hono<AppEnv>) {
  // Before `/:ws/functions/:id`, which would take "run" for an id.
  app.post("/:ws/functions/run", async function runPage(c) {
    const opened = await openConsoleForm(c, c.req.param("ws"));
    if (opened instanceof Response) return opened;
    return await run(c, opened.page, opened.form);
  });
  for (const kind of Object.values(KINDS)) mountKind(app, kind);
  app.post("/:ws/streams/:id/keys", async function keyAction(c) {
    const opened = await openConsoleForm(c, c.req.param("ws"));
    if (opened instanceof Response) return opened;
    return await guard(c, () => newKey(c, opened.page, c.req.param("id"), opened.form));
  });
}

/** An exposed service error outside a form (an object that is gone): its page with its status. */
async function guard(c: Context<AppEnv>, work: () => Promise<Response>): Promise<Response> {
  try {
    return await work();
  } catch (e) {
    const err = exposed(e);
    return consoleErrorPage(c, err.status === 404 ? 404 : err.status === 403 ? 403 : 400, err.message);
  }
}
