/**
 * A stream's keys and the snippets to paste (docs/switching.md): the `/p.js` tag, `@jitsu/js`, Segment's
 * analytics.js and server libraries, curl. A new key's secret is in them once, right after it was made.
 */
import type { NewWriteKey } from "./flash.ts";
import type { ConsolePage } from "./shell.tsx";

interface Key {
  id: string;
  hint?: string | null;
}

/** The snippets for a public URL and a browser and a server key (`keyId:secret`, or `keyId:YOUR_SECRET` when the
 * secret was shown once already and only the id is known: see keyText). */
export function streamSnippets(publicUrl: string, browserKey: string, serverKey: string) {
  const host = publicUrl.replace(/\/+$/, "");
  return [
    {
      id: "snippet-html",
      title: "Website (Jitsu's script tag)",
      text: `<script async src="${host}/p.js" data-write-key="${browserKey}"></script>`,
    },
    {
      id: "snippet-jitsu-js",
      title: "@jitsu/js from npm",
      text:
        `import { jitsuAnalytics } from "@jitsu/js";\n\nconst analytics = jitsuAnalytics({ host: "${host}", ` +
        `writeKey: "${browserKey}" });\nanalytics.page();`,
    },
    {
      id: "snippet-segment",
      title: "Segment analytics.js (@segment/analytics-next)",
      text:
        `import { AnalyticsBrowser } from "@segment/analytics-next";\n\nconst analytics = AnalyticsBrowser.load(` +
        `{ writeKey: "${browserKey}", cdnURL: "${host}" });`,
    },
    {
      id: "snippet-segment-node",
      title: "Segment server libraries (analytics-node)",
      text: `const analytics = new Analytics({ writeKey: "${serverKey}", host: "${host}" });`,
    },
    {
      id: "snippet-curl",
      title: "curl (server key)",
      text: `curl -X POST ${host}/api/s/s2s/track \\\n  -H "Content-Type: application/json" \\\n` +
        `  -H "X-Write-Key: ${serverKey}" \\\n  -d '{"type":"track","event":"Signed up","userId":"u1"}'`,
    },
  ];
}

function keyCode(k: Key) {
  return <code>{k.id}</code>;
}

function keyText(keys: Key[], created: NewWriteKey | undefined, kind: "browser" | "server") {
  if (created?.kind === kind) return created.key;
  return keys[0] ? `${keys[0].id}:YOUR_SECRET` : "KEY_ID:SECRET";
}

/** The keys card and the snippets card of a stream page. */
export function StreamPanel(
  { page, stream, created }: { page: ConsolePage; stream: Record<string, unknown>; created?: NewWriteKey },
) {
  const browser = (stream.publicKeys ?? []) as Key[];
  const server = (stream.privateKeys ?? []) as Key[];
  const snippets = streamSnippets(
    page.ctx.config.publicUrl,
    keyText(browser, created, "browser"),
    keyText(server, created, "server"),
  );
  const copy = `for(const b of document.querySelectorAll("button[data-copy]")){b.addEventListener("click",` +
    `function(){const t=document.getElementById(b.dataset.copy).textContent;(navigator.clipboard?` +
    `navigator.clipboard.writeText(t):Promise.reject()).then(function(){b.textContent="Copied"},function(){` +
    `const r=document.createRange();r.selectNodeContents(document.getElementById(b.dataset.copy));` +
    `getSelection().removeAllRanges();getSelection().addRange(r);b.textContent="Selected: press Ctrl+C"})})}`;
  return (
    <>
      <div class="card" id="keys">
        <h2>Write keys</h2>
        {created
          ? (
            <div class="ok" role="status" id="new-write-key">
              <p>
                New {created.kind} key. Copy it now: it is shown only once (it is in the snippets below too).
              </p>
              <pre id="write-key-value">{created.key}</pre>
              <button type="button" class="secondary" data-copy="write-key-value">Copy key</button>
            </div>
          )
          : null}
        <p>
          Browser keys: {browser.length ? browser.map(keyCode) : "none"}
          <br />Server keys: {server.length ? server.map(keyCode) : "none"}
        </p>
        <p class="muted">Secrets are stored hashed: a key's secret is shown once, when it is made.</p>
        {page.readOnly ? null : (
          <form
            method="post"
            action={`${page.base}/streams/${encodeURIComponent(String(stream.id))}/keys`}
            class="row"
          >
            <input type="hidden" name="csrf" value={page.csrf} />
            <label for="key-kind" class="check">Kind</label>
            <select id="key-kind" name="kind" style="width:auto">
              <option value="browser">Browser key (web pages)</option>
              <option value="server">Server key (back ends)</option>
            </select>
            <button type="submit" class="secondary" id="new-key">New key</button>
          </form>
        )}
      </div>
      <div class="card" id="snippets">
        <h2>Send events</h2>
        {snippets.map((s) => (
          <section>
            <h3>{s.title}</h3>
            <pre id={s.id}>{s.text}</pre>
            <button type="button" class="secondary" data-copy={s.id}>Copy</button>
          </section>
        ))}
        <p class="muted">
          Browser keys go in web pages, server keys stay on servers. More in docs/switching.md.
        </p>
        <script nonce={page.nonce} dangerouslySetInnerHTML={{ __html: copy }} />
      </div>
    </>
  );
}
