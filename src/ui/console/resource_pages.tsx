/** The list and form pages of streams, destinations, connections and functions. */
import type { FieldIssue } from "../../errors.ts";
import { DESTINATION_TYPES } from "../../resources/destinations/catalog.ts";
import type { RunFunctionResult } from "../../sandbox/run_function.ts";
import type { FormSpec, Kind } from "./resource_kinds.ts";
import { SchemaFields, SchemaValues } from "./schema_form.tsx";
import { ConsoleLayout, type ConsolePage, Notice } from "./shell.tsx";
import type { Child } from "hono/jsx";

type Obj = Record<string, unknown> & { id: string };

/** `/{ws}/{kind}`: the objects, oldest first, with links to each and to "New". */
export function ListPage(
  { page, kind, objects, notice }: { page: ConsolePage; kind: Kind; objects: Obj[]; notice?: string },
) {
  const href = (o: Obj) => `${page.base}/${kind.path}/${encodeURIComponent(o.id)}`;
  return (
    <ConsoleLayout page={page} title={kind.title} section={kind.title}>
      <div class="card">
        <h1>{kind.title}</h1>
        <Notice text={notice} />
        {objects.length === 0 ? <p class="muted">No {kind.one} yet.</p> : (
          <table>
            <thead>
              <tr>
                <th>Name</th>
                <th>Details</th>
              </tr>
            </thead>
            <tbody>
              {objects.map((o) => (
                <tr data-id={o.id}>
                  <td>
                    <a href={href(o)}>{String(o.name ?? o.id)}</a>
                  </td>
                  <td class="muted">
                    <code>{o.id}</code>
                    {o.destinationType ? ` · ${o.destinationType}` : ""}
                    {o.fromId ? ` · ${o.fromId} -> ${o.toId}` : ""}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        {page.readOnly
          ? null
          : kind.type === "destination"
          ? (
            <form method="get" action={`${page.base}/destinations/new`} class="row">
              <label for="dest-type">Destination type</label>
              <select id="dest-type" name="destinationType" style="width:auto">
                {DESTINATION_TYPES.map((d) => (
                  <option value={d.id}>{d.title}{d.deliverable ? "" : " (stored only)"}</option>
                ))}
              </select>
              <button type="submit">New destination</button>
            </form>
          )
          : <a class="button" href={`${page.base}/${kind.path}/new`}>New {kind.one}</a>}
      </div>
    </ConsoleLayout>
  );
}

export interface FormPageProps {
  page: ConsolePage;
  kind: Kind;
  spec: FormSpec;
  /** The object as stored (editing) or undefined (creating). */
  object?: Obj;
  values: Record<string, unknown>;
  issues?: FieldIssue[];
  error?: string;
  notice?: string;
  /** Cards after the form (a stream's keys and snippets). */
  after?: Child;
  run?: { event: string; result?: RunFunctionResult; error?: string };
  /** The code editor's hashed script path (functions). */
  editorSrc?: string;
}

const SAMPLE_EVENT = JSON.stringify(
  { type: "track", event: "Signed up", userId: "u1", messageId: "m1", properties: { plan: "pro" } },
  null,
  2,
);

function RunPanel({ run }: { run: NonNullable<FormPageProps["run"]> }) {
  const r = run.result;
  return (
    <>
      <label for="sample-event">Sample event (JSON)</label>
      <textarea id="sample-event" name="sampleEvent" rows={6} spellcheck={false}>{run.event}</textarea>
      {run.error ? <p class="field-error" role="alert">{run.error}</p> : null}
      {r
        ? (
          <div id="run-result" role="status">
            <h3>Result</h3>
            {r.error
              ? (
                <p class="error" id="run-error">
                  {r.error.name}: {r.error.message}
                  {r.error.line ? ` (line ${r.error.line}, column ${r.error.column ?? "?"})` : ""}
                </p>
              )
              : null}
            <p>
              {r.dropped
                ? <strong id="run-dropped">Dropped: the function returned no event.</strong>
                : "Event after the function:"}
            </p>
            {r.dropped ? null : <pre id="run-output">{JSON.stringify(r.result, null, 2)}</pre>}
            {r.retry ? <p class="warn">Retry asked: {r.retry.message}</p> : null}
            <h3>Logs</h3>
            {r.logs.length
              ? <pre id="run-logs">{r.logs.map((l) => JSON.stringify(l)).join("\n")}</pre>
              : <p class="muted">No logs.</p>}
            <h3>Store</h3>
            <pre id="run-store">{JSON.stringify(r.store, null, 2)}</pre>
          </div>
        )
        : null}
    </>
  );
}

function hiddenInput([name, value]: [string, unknown]) {
  return <input type="hidden" name={name} value={String(value)} />;
}

/**
 * A new connection's first step (a GET form: it changes nothing): its stream and destination, so the next
 * form is the one of that destination type, with its options and defaults.
 */
function ConnectionStart(
  { page, spec, values, issues }: {
    page: ConsolePage;
    spec: FormSpec;
    values: Record<string, unknown>;
    issues: FieldIssue[];
  },
) {
  const ends = spec.fields.filter((f) => f.key === "fromId" || f.key === "toId");
  return (
    <form method="get" action={`${page.base}/connections/new`} id="connection-start">
      <SchemaFields fields={ends} values={values} issues={issues} choices={spec.choices} />
      <button type="submit" id="continue">Continue</button>
    </form>
  );
}

/** `/{ws}/{kind}/new` and `/{ws}/{kind}/{id}`: the generated form (or, for analysts, the values). */
export function FormPage(p: FormPageProps) {
  const { page, kind, spec, object } = p;
  const action = object
    ? `${page.base}/${kind.path}/${encodeURIComponent(object.id)}`
    : `${page.base}/${kind.path}`;
  const title = object
    ? `${String(object.name ?? object.id)}`
    : `New ${kind.one}${spec.subtype ? ` (${spec.subtype})` : ""}`;
  const isFunction = kind.type === "function";
  return (
    <ConsoleLayout page={page} title={title} section={kind.title}>
      <div class="card">
        <p class="muted">
          <a href={`${page.base}/${kind.path}`}>{kind.title}</a>
        </p>
        <h1>{title}</h1>
        {object
          ? (
            <p class="muted">
              id <code>{object.id}</code>
              {spec.subtype ? ` · ${spec.subtype}` : ""}
            </p>
          )
          : null}
        <Notice text={p.notice} />
        {p.error ? <p class="error" role="alert" id="form-error">{p.error}</p> : null}
        {page.readOnly
          ? <SchemaValues fields={spec.fields} values={p.values} />
          : kind.type === "connection" && !object && !spec.subtype
          ? <ConnectionStart page={page} spec={spec} values={p.values} issues={p.issues ?? []} />
          : (
            <form method="post" action={action} id="object-form">
              <input type="hidden" name="csrf" value={page.csrf} />
              {Object.entries(spec.fixed).map(hiddenInput)}
              {object
                ? <input type="hidden" name="expectedUpdatedAt" value={String(object.updatedAt ?? "")} />
                : null}
              {object && isFunction ? <input type="hidden" name="functionId" value={object.id} /> : null}
              <SchemaFields
                fields={spec.fields}
                values={p.values}
                issues={p.issues ?? []}
                choices={spec.choices}
              />
              <button type="submit" id="save">{object ? "Save" : `Create ${kind.one}`}</button>
              {isFunction
                ? (
                  <div class="card" id="run">
                    <h2>Run on a sample event</h2>
                    <p class="muted">Runs the code above (saved or not) in the sandbox; saves nothing.</p>
                    <RunPanel run={p.run ?? { event: SAMPLE_EVENT }} />
                    <button
                      type="submit"
                      class="secondary"
                      id="run-button"
                      formaction={`${page.base}/functions/run`}
                    >
                      Run on a sample event
                    </button>
                  </div>
                )
                : null}
            </form>
          )}
      </div>
      {p.after}
      {object && !page.readOnly
        ? (
          <div class="card">
            <h2>Delete</h2>
            <form method="post" action={`${action}/delete`}>
              <input type="hidden" name="csrf" value={page.csrf} />
              <button type="submit" class="danger" id="delete">Delete {kind.one}</button>
            </form>
          </div>
        )
        : null}
      {isFunction && p.editorSrc ? <script nonce={page.nonce} src={p.editorSrc} /> : null}
    </ConsoleLayout>
  );
}

/** The delete refused because connections use the object: asks, and offers the cascade the API has. */
export function ConfirmDeletePage(
  { page, kind, object, message, connections }: {
    page: ConsolePage;
    kind: Kind;
    object: Obj;
    message: string;
    connections: string[];
  },
) {
  const action = `${page.base}/${kind.path}/${encodeURIComponent(object.id)}/delete`;
  return (
    <ConsoleLayout page={page} title={`Delete ${kind.one}`} section={kind.title}>
      <div class="card">
        <h1>Delete {String(object.name ?? object.id)}?</h1>
        <p class="warn" role="alert">{message}</p>
        <ul>
          {connections.map((c) => (
            <li>
              <code>{c}</code>
            </li>
          ))}
        </ul>
        <form method="post" action={action}>
          <input type="hidden" name="csrf" value={page.csrf} />
          <input type="hidden" name="cascade" value="true" />
          <button type="submit" class="danger" id="delete-cascade">Delete it and these connections</button>
        </form>
        <p>
          <a href={`${page.base}/${kind.path}/${encodeURIComponent(object.id)}`}>Cancel</a>
        </p>
      </div>
    </ConsoleLayout>
  );
}
