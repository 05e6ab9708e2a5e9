/**
 * Forms generated from a resource's JSON Schema (the one `get_resource_schema` and REST publish, made
 * from the Valibot schemas that validate every write), so a new destination type needs no form code.
 * The form only shapes input: the service validates it and its issues are shown beside their fields.
 */
import type { FieldIssue } from "../../errors.ts";
import { MASKED } from "../../resources/base.ts";

// deno-lint-ignore no-explicit-any
type Json = Record<string, any>;

type Kind = "text" | "textarea" | "code" | "number" | "bool" | "select" | "lines" | "json" | "group";

/** One input of a generated form; `name` is the dotted path REST issues use (`data.mode`). */
export interface Field {
  name: string;
  key: string;
  label: string;
  kind: Kind;
  required: boolean;
  schema: Json;
  secret: boolean;
  children: Field[];
}

/** Options of select fields the schema cannot list (a connection's stream and destination ids). */
export type Choices = Record<string, { value: string; label: string }[]>;

function labelOf(key: string): string {
  const words = key.replace(/([a-z0-9])([A-Z])/g, "$1 $2").replace(/[_-]+/g, " ");
  return words.charAt(0).toUpperCase() + words.slice(1);
}

function kindOf(key: string, s: Json): Kind {
  if (Array.isArray(s.enum)) return "select";
  if (s.type === "string") return key === "code" ? "code" : (s.maxLength ?? 0) > 2000 ? "textarea" : "text";
  if (s.type === "integer" || s.type === "number") return "number";
  if (s.type === "boolean") return "bool";
  if (s.type === "array" && s.items?.type === "string") return "lines";
  if (s.type === "object" && s.properties && !s.additionalProperties) return "group";
  return "json";
}

/** Whether `path` is a secret by the type's rules (`password`, `credentials.**`, `data.functionsEnv.*`). */
export function isSecretPath(path: string, rules: { path: string }[]): boolean {
  return rules.some((r) => {
    const base = r.path.replace(/\.\*\*?$/, "");
    return r.path === path || (r.path !== base && (path === base || path.startsWith(`${base}.`)));
  });
}

/** The fields of an object schema, minus `skip` (top-level names), in the schema's order. */
export function schemaFields(
  schema: Json,
  { skip = [], prefix = "", secrets = [] }: {
    skip?: string[];
    prefix?: string;
    secrets?: { path: string }[];
  } = {},
): Field[] {
  const required = new Set<string>(schema.required ?? []);
  const out: Field[] = [];
  for (const [key, s] of Object.entries<Json>(schema.properties ?? {})) {
    if (skip.includes(key) || s.const !== undefined) continue;
    const name = prefix ? `${prefix}.${key}` : key;
    const kind = kindOf(key, s);
    out.push({
      name,
      key,
      label: labelOf(key),
      kind,
      required: required.has(key),
      schema: s,
      secret: isSecretPath(name, secrets),
      children: kind === "group" ? schemaFields(s, { prefix: name, secrets }) : [],
    });
  }
  return out;
}

function valueAt(values: Json, name: string): unknown {
  return name.split(".").reduce<unknown>(
    (o, k) => (o && typeof o === "object" ? (o as Json)[k] : undefined),
    values,
  );
}

function asText(kind: Kind, v: unknown): string {
  if (v === undefined || v === null) return "";
  if (kind === "lines") return Array.isArray(v) ? v.join("\n") : String(v);
  if (kind === "json") return typeof v === "string" ? v : JSON.stringify(v, null, 2);
  return String(v);
}

function fieldId(name: string) {
  return `f-${name.replace(/[^A-Za-z0-9_-]/g, "-")}`;
}

function Hint({ f }: { f: Field }) {
  const parts = [
    f.schema.description,
    f.kind === "lines" ? "One per line." : null,
    f.kind === "json" ? "JSON." : null,
    f.schema.default !== undefined && f.kind !== "bool"
      ? `Default: ${
        typeof f.schema.default === "string" ? f.schema.default : JSON.stringify(f.schema.default)
      }.`
      : null,
    f.secret ? "Secret: stored encrypted, shown masked; leave the mask to keep it." : null,
  ].filter(
    Boolean,
  );
  return parts.length ? <p class="hint" id={`${fieldId(f.name)}-hint`}>{parts.join(" ")}</p> : null;
}

function Input({ f, value, choices }: { f: Field; value: unknown; choices: Choices }) {
  const id = fieldId(f.name);
  const common = { id, name: f.name, "aria-describedby": `${id}-hint` };
  const text = asText(f.kind, value);
  const options = choices[f.name] ??
    (f.schema.enum as string[] | undefined)?.map((v) => ({ value: v, label: v }));
  if (options) {
    return (
      <select {...common} required={f.required}>
        {f.required ? null : <option value="">(default)</option>}
        {options.map((o) => (
          <option value={o.value} selected={o.value === text}>
            {o.label}
          </option>
        ))}
      </select>
    );
  }
  switch (f.kind) {
    case "number":
      return (
        <input {...common} inputmode="numeric" value={text} placeholder={asText("text", f.schema.default)} />
      );
    case "code":
      return (
        <textarea {...common} rows={18} data-code-editor aria-label={f.label} spellcheck={false}>
          {text}
        </textarea>
      );
    case "textarea":
    case "lines":
    case "json":
      return <textarea {...common} rows={f.kind === "json" ? 5 : 4} spellcheck={false}>{text}</textarea>;
    default:
      return (
        <input
          {...common}
          type={f.secret ? "password" : "text"}
          value={text}
          placeholder={asText("text", f.schema.default)}
          autocomplete={f.secret ? "new-password" : "off"}
        />
      );
  }
}

/** The inputs of `fields` with `values`, each labelled, with its issue (if any) beside it. */
export function SchemaFields(
  { fields, values, issues, choices = {} }: {
    fields: Field[];
    values: Json;
    issues: FieldIssue[];
    choices?: Choices;
  },
) {
  return (
    <>
      {fields.map((f) => {
        const own = issues.filter((i) =>
          i.path === f.name || i.path.startsWith(`${f.name}.`) && f.kind !== "group"
        );
        if (f.kind === "group") {
          return (
            <fieldset>
              <legend>{f.label}</legend>
              <Hint f={f} />
              <SchemaFields fields={f.children} values={values} issues={issues} choices={choices} />
            </fieldset>
          );
        }
        const value = valueAt(values, f.name);
        const error = own.length
          ? (
            <p class="field-error" id={`${fieldId(f.name)}-error`} role="alert">
              {own.map((i) => i.message).join("; ")}
            </p>
          )
          : null;
        if (f.kind === "bool") {
          const on = value === undefined ? f.schema.default === true : value === true || value === "true";
          return (
            <div>
              <label class="check" for={fieldId(f.name)}>
                <input type="checkbox" id={fieldId(f.name)} name={f.name} value="true" checked={on} />
                {f.label}
              </label>
              <input type="hidden" name={f.name} value="false" />
              <Hint f={f} />
              {error}
            </div>
          );
        }
        return (
          <div>
            <label for={fieldId(f.name)}>{f.label}{f.required ? " *" : ""}</label>
            <Input f={f} value={value} choices={choices} />
            <Hint f={f} />
            {error}
          </div>
        );
      })}
    </>
  );
}

/** A read-only view of the same fields (analysts): values as text, secrets as the service masked them. */
export function SchemaValues({ fields, values }: { fields: Field[]; values: Json }) {
  return (
    <dl>
      {fields.map(function fieldValue(f) {
        if (f.kind === "group") return SchemaValues({ fields: f.children, values });
        const text = asText(f.kind, valueAt(values, f.name));
        return (
          <>
            <dt>
              <strong>{f.label}</strong>
            </dt>
            <dd>
              {f.kind === "code" || f.kind === "json"
                ? <pre>{text}</pre>
                : <code>{text || "(not set)"}</code>}
            </dd>
          </>
        );
      })}
    </dl>
  );
}

function str(x: unknown): string {
  return typeof x === "string" ? x : Array.isArray(x) ? String(x[0] ?? "") : "";
}

/**
 * Reads a submitted form back into the object REST takes. Creating, an empty input is left out (the
 * schema's default or "required" applies); updating, it becomes null (the merge patch removes it). A
 * mask sent back is kept as is, so the service keeps the stored secret.
 */
export function readFields(
  fields: Field[],
  form: Record<string, unknown>,
  { update = false }: { update?: boolean } = {},
): { data: Json; issues: FieldIssue[] } {
  const data: Json = {};
  const issues: FieldIssue[] = [];
  const empty = (f: Field) => (update ? (f.required ? "" : null) : undefined);
  for (const f of fields) {
    let v: unknown;
    const raw = str(form[f.name]);
    if (f.kind === "group") {
      const inner = readFields(f.children, form, { update });
      issues.push(...inner.issues);
      v = Object.keys(inner.data).length ? inner.data : undefined;
    } else if (f.kind === "bool") {
      v = form[f.name] === undefined ? undefined : raw === "true";
    } else if (raw.trim() === "") {
      v = empty(f);
    } else if (f.secret && raw === MASKED) {
      v = MASKED;
    } else if (f.kind === "number") {
      v = /^-?\d+(\.\d+)?$/.test(raw.trim()) ? Number(raw.trim()) : raw;
    } else if (f.kind === "lines") {
      v = raw.split(/\r?\n/).map((s) => s.trim()).filter(Boolean);
    } else if (f.kind === "json") {
      try {
        v = JSON.parse(raw);
      } catch {
        issues.push({ path: f.name, message: "must be valid JSON" });
      }
    } else {
      v = f.kind === "code" || f.kind === "textarea" ? raw : raw.trim();
    }
    if (v !== undefined) data[f.key] = v;
  }
  return { data, issues };
}
