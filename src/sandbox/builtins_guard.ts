/**
 * Keeps the sandbox worker's built-ins clean. One workspace's functions share a worker (and its realm),
 * so a function that replaced `JSON.parse`, `Array.prototype.push` or a global would otherwise break
 * every later call, and the worker's own code that serialises results.
 *
 * At start-up (before any user code) `guardBuiltins()` hardens the standard built-ins (constructors,
 * their prototypes, namespaces such as JSON and Math, the iterator prototypes) the way SES does:
 * - every property becomes non-configurable and read-only: assigning `JSON.parse = ...` or
 *   `Array.prototype.push = ...` throws a TypeError in the function that tried (modules are strict);
 * - the objects become non-extensible: `Object.prototype.polluted = 1` throws too (no prototype
 *   pollution);
 * - the few properties code legitimately shadows on its own objects (`toString`, `constructor`,
 *   `valueOf`, an error's `name` and `message`, everything on `Object.prototype`, ...) become accessors
 *   whose setter defines an own property on the object assigned to (`obj.toString = f`,
 *   `this.name = "MyError"` keep working) and refuses an assignment to the built-in itself. Plain
 *   freezing would break those assignments (the "override mistake").
 * - the language's globals (`JSON`, `Object`, `Array`, `parseInt`, ...) become read-only; the runtime's
 *   (`fetch`, `URL`, ...) are put back after each batch (see below).
 *
 * So no call can change what the next one sees, and nothing needs checking after each call. What stays
 * open is adding new globals: `restore()` runs after each batch, deletes the globals its calls added and
 * puts back any writable global a call replaced (listing the global object's keys costs about 50
 * microseconds: fine per batch, too much per call). When something cannot be put back (a global a
 * function made non-configurable), it says so and the runner replaces the worker.
 */

const NAMESPACES = ["JSON", "Math", "Reflect", "Atomics", "Intl", "console"];

/** Globals of the language itself (not the runtime's): made read-only on the global object. */
const ECMASCRIPT_GLOBALS = new Set([
  "JSON",
  "Math",
  "Reflect",
  "Atomics",
  "Intl",
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
  "Proxy",
  "ArrayBuffer",
  "DataView",
  "Uint8Array",
  "Int8Array",
  "Uint16Array",
  "Int16Array",
  "Uint32Array",
  "Int32Array",
  "Float32Array",
  "Float64Array",
  "BigInt64Array",
  "BigUint64Array",
  "Uint8ClampedArray",
  "parseInt",
  "parseFloat",
  "isNaN",
  "isFinite",
  "encodeURIComponent",
  "decodeURIComponent",
  "encodeURI",
  "decodeURI",
]);

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

/** Properties code assigns on its own objects: accessors that shadow instead of refusing. */
const SHADOWABLE = new Set<string | symbol>([
  "constructor",
  "toString",
  "toLocaleString",
  "valueOf",
  "toJSON",
  "name",
  "message",
  "stack",
  "cause",
  "then",
]);

/** Left writable (V8 and Deno read them; code sets them): put back after each batch. */
const WRITABLE = new Set<string | symbol>(["stackTraceLimit", "prepareStackTrace"]);

export interface BuiltinsGuard {
  /**
   * Deletes the globals added since the last call and puts back replaced writable ones. Returns `null`
   * when the built-ins are clean (again), or the reason they cannot be made clean (the worker must be
   * replaced).
   */
  restore(): string | null;
  /** How many properties were hardened (tests). */
  readonly hardened: number;
}

type Key = string | symbol;

/** Hardens the built-ins of this realm and returns the guard that restores the rest. */
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

  const writable: { o: Record<Key, unknown>; k: Key; v: unknown }[] = [];
  let hardened = 0;
  for (const o of roots) {
    const everything = o === Object.prototype;
    for (const k of Reflect.ownKeys(o)) {
      const d = Object.getOwnPropertyDescriptor(o, k);
      if (!d || !d.configurable) continue;
      if ("value" in d && WRITABLE.has(k)) {
        Object.defineProperty(o, k, { configurable: false });
        writable.push({ o: o as Record<Key, unknown>, k, v: d.value });
      } else if ("value" in d && d.writable && (everything || SHADOWABLE.has(k))) {
        Object.defineProperty(o, k, shadowing(o, k, d));
      } else {
        const frozen = "value" in d ? { configurable: false, writable: false } : { configurable: false };
        Object.defineProperty(o, k, frozen);
      }
      hardened++;
    }
    Object.preventExtensions(o);
  }

  // The global object stays extensible (a function may keep a global for the length of its batch),
  // but the language's own globals become read-only. The runtime's (fetch, URL, ...) stay writable and
  // are put back after each batch: Deno redefines some of them lazily, and making them read-only was
  // seen to panic Deno 2.9's worker ("either js is polling or the worker is terminated").
  const globalKeys = new Set<Key>(Reflect.ownKeys(globalThis));
  const globalDescriptors = new Map<Key, PropertyDescriptor>();
  for (const k of globalKeys) {
    const d = Object.getOwnPropertyDescriptor(globalThis, k)!;
    if (!("value" in d)) continue;
    if (d.configurable && d.writable && typeof k === "string" && ECMASCRIPT_GLOBALS.has(k)) {
      Object.defineProperty(globalThis, k, { configurable: false, writable: false });
      hardened++;
    } else if (d.writable) {
      globalDescriptors.set(k, d);
    }
  }
  const ownKeys = Reflect.ownKeys;
  const defineProperty = Object.defineProperty;
  const deleteProperty = Reflect.deleteProperty;

  function restore(): string | null {
    for (const w of writable) if (w.o[w.k] !== w.v) w.o[w.k] = w.v;
    let problem: string | null = null;
    for (const [k, d] of globalDescriptors) {
      if (g[k] === d.value) continue;
      try {
        defineProperty(globalThis, k, d);
      } catch {
        problem = `global ${String(k)} was redefined and cannot be restored`;
      }
    }
    const now = ownKeys(globalThis);
    if (now.length !== globalKeys.size) {
      for (const k of now) {
        if (globalKeys.has(k)) continue;
        if (!deleteProperty(globalThis, k)) problem = `global ${String(k)} cannot be deleted`;
      }
    }
    for (const k of globalKeys) if (!(k in globalThis)) problem = `global ${String(k)} was deleted`;
    return problem;
  }

  return { restore, hardened };
}

/**
 * An accessor standing for data property `k` of built-in `home`: reads give the original value; an
 * assignment to an object inheriting it defines that object's own property (as if `home` did not have
 * it); an assignment to `home` itself is refused.
 */
function shadowing(home: object, k: Key, d: PropertyDescriptor): PropertyDescriptor {
  const value = d.value;
  const defineProperty = Object.defineProperty;
  const hasOwn = Object.hasOwn;
  return {
    configurable: false,
    enumerable: d.enumerable,
    get: function get() {
      return value;
    },
    set: function set(this: unknown, next: unknown) {
      if (this === home) {
        throw new TypeError(`Cannot assign to built-in property ${String(k)}: built-ins are read-only`);
      }
      if (typeof this !== "object" && typeof this !== "function" || this === null) return;
      if (hasOwn(this, k)) (this as Record<Key, unknown>)[k] = next;
      else defineProperty(this, k, { value: next, writable: true, enumerable: true, configurable: true });
    },
  };
}
