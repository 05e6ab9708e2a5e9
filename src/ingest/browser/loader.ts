/// <reference lib="dom" />
/**
 * The entry of `/p.js` (bundled by `deno task pjs` into assets/p.js.txt, never loaded by the
 * server). It starts `@jitsu/js` from the script tag the way Jitsu's hosted script does: options from the
 * tag's `data-*` attributes (`data-write-key` -> `writeKey`, booleans from "true"/"1"/"yes") over
 * `window.jitsuConfig`; `host` from `data-host`, else the origin the script was loaded from; the instance
 * as `window[namespace]` (default `jitsu`); `data-onload` names a global function called with it; queued
 * callbacks in `window[namespace + "Q"]` run, and later pushes run at once; a page view unless
 * `data-init-only`.
 */
import { jitsuAnalytics } from "@jitsu/js";

type Options = Record<string, unknown> & {
  host?: string;
  namespace?: string;
  onload?: string;
  initOnly?: boolean;
  debug?: boolean;
};
type Analytics = ReturnType<typeof jitsuAnalytics>;

const BOOLEAN_OPTIONS = new Set([
  "debug",
  "enableThirdPartIds",
  "enableAnonymousId",
  "enabled",
  "echoEvents",
  "initOnly",
]);

/** `write-key` and `write_key` -> `writeKey`. */
function camel(name: string): string {
  return name.replace(/[-_]([a-z])/gi, (_m, ch: string) => ch.toUpperCase());
}

function attributes(script: HTMLScriptElement): Options {
  const out: Options = {};
  for (const attr of script.getAttributeNames()) {
    if (!attr.startsWith("data-")) continue;
    const name = camel(attr.slice("data-".length));
    const value = script.getAttribute(attr) ?? "";
    out[name] = BOOLEAN_OPTIONS.has(name) ? value === "true" || value === "1" || value === "yes" : value;
  }
  return out;
}

function runQueued(callback: unknown, jitsu: Analytics) {
  if (typeof callback === "function") callback(jitsu);
  else if (Array.isArray(callback) && typeof callback[0] === "string") {
    const [method, ...args] = callback;
    const fn = (jitsu as unknown as Record<string, unknown>)[method];
    if (typeof fn === "function") fn.apply(jitsu, args);
    else console.warn(`[jitsu] method ${method} is not supported, ignoring the queued call`);
  } else console.warn("[jitsu] ignoring an invalid queued callback", callback);
}

function start() {
  const w = window as unknown as Record<string, unknown>;
  const script = document.currentScript as HTMLScriptElement | null;
  if (!script) throw new Error("[jitsu] cannot find the <script> element that loaded p.js");
  const fromTag = attributes(script);
  const options: Options = { ...(w.jitsuConfig as Options | undefined ?? {}), ...fromTag };
  if (!options.host) options.host = new URL(script.src).origin;
  const namespace = options.namespace || "jitsu";
  if (options.debug) console.log("[jitsu] options", JSON.stringify(options));
  const jitsu = jitsuAnalytics(options);
  if (options.onload) {
    const onload = w[options.onload];
    if (typeof onload === "function") onload(jitsu);
    else console.warn(`[jitsu] onload function ${options.onload} is not a function on window`);
  }
  w[namespace] = jitsu;
  const queued = w[namespace + "Q"];
  const pending = Array.isArray(queued) ? [...queued] : [];
  w[namespace + "Q"] = {
    push(callback: unknown) {
      if (typeof callback === "function") callback(jitsu);
      else console.warn(`[jitsu] ${namespace}Q.push() takes a function, got ${typeof callback}`);
    },
  };
  for (const callback of pending) {
    try {
      runQueued(callback, jitsu);
    } catch (e) {
      console.warn("[jitsu] a queued callback failed", e);
    }
  }
  if (!options.initOnly) jitsu.page();
}

start();
