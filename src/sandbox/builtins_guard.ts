/**
 * Keeps the sandbox worker's built-ins clean between function calls. One workspace's functions share a
 * worker (and its realm), so a function that replaces `JSON.parse`, `Array.prototype.push` or a global
 * would otherwise break every later call, and the worker's own code that serialises results.
 *
 * At start-up (before any user code) `guardBuiltins()`:
 * - makes every own property of the standard built-ins (constructors, their prototypes, namespaces
 *   such as JSON and Math) non-configurable, so a function can assign a new value to a writable one
 *   but cannot turn it into a getter, make it read-only or delete it;
 * - makes those objects non-extensible, so no property can be added to them (`Object.prototype.x = 1`
 *   throws a TypeError in the function that tried; prototype pollution cannot happen);
 * - remembers the value of every writable property, and of every data property of `globalThis`.
 *
 * `restore()` runs after each function call: it puts back any replaced value and deletes the globals
 * the call added. It compares identities only (about a thousand property reads), so it is cheap
 * enough to run after every call. When something cannot be put back (a global the function made
 * non-configurable), it says so and the runner replaces the worker.
 *
 * Writable properties stay writable so assigning an own `toString` or `name` on an instance still works
 * (freezing prototypes would break that: the "override mistake").
 */

const NAMESPACES = ["JSON", "Math", "Reflect", "Atomics", "Intl", "console"];

const CONSTRUCTORS = [
  "Object",
  "Function",
  "Array",
  "String",
  "Number",
  "Boolean",
  "Symbol",
  "BigInt",
  "Date",
  "RegExp",
  "Error",
  "TypeError",
  "RangeError",
  "SyntaxError",
  "ReferenceError",
  "EvalError",
  "URIError",
  "AggregateError",
  "Promise",
  "Map",
  "Set",
  "WeakMap",
  "WeakSet",
  "WeakRef",
  "ArrayBuffer",
  "SharedArrayBuffer",
  "DataView",
  "Int8Array",
  "Uint8Array",
  "Uint8ClampedArray",
  "Int16Array",
  "Uint16Array",
  "Int32Array",
  "Uint32Array",
  "Float32Array",
  "Float64Array",
  "BigInt64Array",
  "BigUint64Array",
  "URL",
  "URLSearchParams",
  "Headers",
  "Request",
  "Response",
  "Blob",
  "TextEncoder",
  "TextDecoder",
  "AbortController",
  "AbortSignal",
];

export interface BuiltinsGuard {
  /**
   * Puts back what the last call changed. Returns `null` when the built-ins are clean (again), or the
   * reason they cannot be made clean (the worker must be replaced).
   */
  restore(): string | null;
  /** How many properties are watched (tests, benchmarks). */
  readonly watched: number;
}

type Key = string | symbol;

/** Hardens the built-ins of this realm and returns the guard that restores them. */
export function guardBuiltins(): BuiltinsGuard {
  const g = globalThis as unknown as Record<Key, unknown>;
  const roots = new Set<object>();
  for (const name of NAMESPACES) {
    const o = g[name];
    if (typeof o === "object" && o !== null) roots.add(o);
  }
  for (const name of CONSTRUCTORS) {
    const c = g[name];
    if (typeof c !== "function") continue;
    roots.add(c);
    const proto = (c as { prototype?: unknown }).prototype;
    if (typeof proto === "object" && proto !== null) roots.add(proto);
  }
  // Intrinsics no global names: %TypedArray%, the iterator prototypes, async and generator functions.
  const extra: unknown[] = [
    Object.getPrototypeOf(Uint8Array),
    Object.getPrototypeOf(Uint8Array.prototype),
    Object.getPrototypeOf([][Symbol.iterator]()),
    Object.getPrototypeOf(Object.getPrototypeOf([][Symbol.iterator]())),
    Object.getPrototypeOf(new Map()[Symbol.iterator]()),
    Object.getPrototypeOf(new Set()[Symbol.iterator]()),
    Object.getPrototypeOf(""[Symbol.iterator]()),
    Object.getPrototypeOf(async function () {}),
    Object.getPrototypeOf(function* () {}),
    Object.getPrototypeOf(Object.getPrototypeOf(function* () {}).prototype),
  ];
  for (const o of extra) if ((typeof o === "object" || typeof o === "function") && o !== null) roots.add(o);

  const objs: object[] = [];
  const keys: Key[] = [];
  const values: unknown[] = [];
  for (const o of roots) {
    for (const k of Reflect.ownKeys(o)) {
      const d = Object.getOwnPropertyDescriptor(o, k);
      if (!d) continue;
      if (d.configurable) {
        try {
          Object.defineProperty(o, k, { configurable: false });
        } catch {
          continue; // an exotic property (a function's `prototype`): left as it is
        }
      }
      if ("value" in d && d.writable) {
        objs.push(o);
        keys.push(k);
        values.push(d.value);
      }
    }
    Object.preventExtensions(o);
  }

  // globalThis stays extensible (the runtime defines some globals lazily); its data properties are
  // remembered and the keys a call adds are deleted after it.
  const globalKeys = new Set<Key>(Reflect.ownKeys(globalThis));
  const globalDescriptors = new Map<Key, PropertyDescriptor>();
  const gKeys: Key[] = [];
  const gValues: unknown[] = [];
  for (const k of globalKeys) {
    const d = Object.getOwnPropertyDescriptor(globalThis, k)!;
    if (!("value" in d)) continue;
    globalDescriptors.set(k, d);
    gKeys.push(k);
    gValues.push(d.value);
  }
  const ownKeys = Reflect.ownKeys;
  const defineProperty = Object.defineProperty;
  const deleteProperty = Reflect.deleteProperty;

  function restore(): string | null {
    for (let i = 0; i < objs.length; i++) {
      const o = objs[i] as Record<Key, unknown>;
      // Only plain assignment is possible on these (non-configurable, writable): assign back.
      if (o[keys[i]] !== values[i]) o[keys[i]] = values[i];
    }
    let problem: string | null = null;
    for (let i = 0; i < gKeys.length; i++) {
      if (g[gKeys[i]] === gValues[i]) continue;
      try {
        defineProperty(globalThis, gKeys[i], globalDescriptors.get(gKeys[i])!);
      } catch {
        problem = `global ${String(gKeys[i])} was redefined and cannot be restored`;
      }
    }
    const now = ownKeys(globalThis);
    if (now.length !== globalKeys.size || problem) {
      for (const k of now) {
        if (globalKeys.has(k)) continue;
        if (!deleteProperty(globalThis, k)) problem = `global ${String(k)} cannot be deleted`;
      }
      for (const k of globalKeys) if (!(k in globalThis)) problem = `global ${String(k)} was deleted`;
    }
    return problem;
  }

  return { restore, watched: objs.length + gKeys.length };
}
