/**
 * Array types for the store's statement connections without asking the server (its transaction connections
 * still ask: src/store/postgres_client.ts says why). postgres.js (3.4.9) learns them by a query on every new
 * connection (`fetch_types`), sent before the connection's first statement: a second round trip, on a new
 * backend's cold catalog, that a start to the first `/healthz` waited for (docs/performance.md, "Start-up").
 * That query finds the built-in types and those a database defines; Sluice's schema defines no types of its
 * own, and built-in types have fixed OIDs, so the built-in pairs below are what Sluice gets from it.
 * tests/store/postgres_array_types_test.ts checks them against a server's own catalog, and values against a
 * client that fetched its types.
 *
 * The serializer and parser are postgres.js's own (its `types.js`, Unlicense; the package does not export
 * them), installed as its `fetchArrayTypes()` would: arrays are written and read exactly as after the query.
 */

/** postgres.js's per-client type tables (`sql.options`). */
export interface PostgresTypeTables {
  parsers: Record<number, ((x: string) => unknown) & { array?: boolean }>;
  serializers: Record<number, (x: unknown) => unknown>;
  shared: { typeArrayMap: Record<number, number> };
  transform: { undefined?: unknown };
}

/**
 * `[element type, its array type]` for PostgreSQL's built-in types with fixed OIDs (below 10000): the
 * pairs of `fetchArrayTypes()`'s query on PostgreSQL 15, without composite types' arrays, whose OIDs are
 * not fixed across versions and which postgres.js cannot parse anyway.
 */
export const BUILTIN_ARRAY_TYPES: readonly (readonly [number, number])[] = [
  [16, 1000], // bool
  [17, 1001], // bytea
  [18, 1002], // char
  [19, 1003], // name
  [20, 1016], // int8
  [21, 1005], // int2
  [22, 1006], // int2vector
  [23, 1007], // int4
  [24, 1008], // regproc
  [25, 1009], // text
  [26, 1028], // oid
  [27, 1010], // tid
  [28, 1011], // xid
  [29, 1012], // cid
  [30, 1013], // oidvector
  [114, 199], // json
  [142, 143], // xml
  [600, 1017], // point
  [601, 1018], // lseg
  [602, 1019], // path
  [603, 1020], // box
  [604, 1027], // polygon
  [628, 629], // line
  [650, 651], // cidr
  [700, 1021], // float4
  [701, 1022], // float8
  [718, 719], // circle
  [774, 775], // macaddr8
  [790, 791], // money
  [829, 1040], // macaddr
  [869, 1041], // inet
  [1033, 1034], // aclitem
  [1042, 1014], // bpchar
  [1043, 1015], // varchar
  [1082, 1182], // date
  [1083, 1183], // time
  [1114, 1115], // timestamp
  [1184, 1185], // timestamptz
  [1186, 1187], // interval
  [1266, 1270], // timetz
  [1560, 1561], // bit
  [1562, 1563], // varbit
  [1700, 1231], // numeric
  [1790, 2201], // refcursor
  [2202, 2207], // regprocedure
  [2203, 2208], // regoper
  [2204, 2209], // regoperator
  [2205, 2210], // regclass
  [2206, 2211], // regtype
  [2275, 1263], // cstring
  [2950, 2951], // uuid
  [2970, 2949], // txid_snapshot
  [3220, 3221], // pg_lsn
  [3614, 3643], // tsvector
  [3615, 3645], // tsquery
  [3642, 3644], // gtsvector
  [3734, 3735], // regconfig
  [3769, 3770], // regdictionary
  [3802, 3807], // jsonb
  [3904, 3905], // int4range
  [3906, 3907], // numrange
  [3908, 3909], // tsrange
  [3910, 3911], // tstzrange
  [3912, 3913], // daterange
  [3926, 3927], // int8range
  [4072, 4073], // jsonpath
  [4089, 4090], // regnamespace
  [4096, 4097], // regrole
  [4191, 4192], // regcollation
  [4451, 6150], // int4multirange
  [4532, 6151], // nummultirange
  [4533, 6152], // tsmultirange
  [4534, 6153], // tstzmultirange
  [4535, 6155], // datemultirange
  [4536, 6157], // int8multirange
  [5038, 5039], // pg_snapshot
  [5069, 271], // xid8
];

/** Installs the built-in array types in a client's tables, as postgres.js's `addArrayType()` does. */
export function installArrayTypes(options: PostgresTypeTables): void {
  for (const [oid, typarray] of BUILTIN_ARRAY_TYPES) {
    if (options.parsers[typarray] && options.serializers[typarray]) continue;
    const parser = options.parsers[oid];
    options.shared.typeArrayMap[oid] = typarray;
    options.parsers[typarray] = (xs: string) => arrayParser(xs, parser, typarray);
    options.parsers[typarray].array = true;
    options.serializers[typarray] = (xs: unknown) =>
      arraySerializer(xs, options.serializers[oid], options, typarray);
  }
}

function undefinedValue(): Error {
  return Object.assign(new Error("UNDEFINED_VALUE: Undefined values are not allowed"), {
    code: "UNDEFINED_VALUE",
  });
}

function arrayEscape(x: string): string {
  return x.replace(/\\/g, "\\\\").replace(/"/g, '\\"');
}

type Serializer = ((x: unknown) => unknown) | undefined;

function arraySerializer(
  xs: unknown,
  serializer: Serializer,
  options: PostgresTypeTables,
  typarray: number,
): unknown {
  if (Array.isArray(xs) === false) return xs;
  if (!xs.length) return "{}";
  const first = xs[0];
  // Only _box (1020) has the ';' delimiter for arrays, all other types use the ',' delimiter
  const delimiter = typarray === 1020 ? ";" : ",";
  if (Array.isArray(first) && !(first as { type?: unknown }).type) {
    return "{" + xs.map((x) => arraySerializer(x, serializer, options, typarray)).join(delimiter) + "}";
  }
  return "{" + xs.map((x) => {
    if (x === undefined) {
      x = options.transform.undefined;
      if (x === undefined) throw undefinedValue();
    }
    const typed = x as { type?: unknown; value?: unknown } | null;
    return x === null
      ? "null"
      : '"' + arrayEscape(serializer ? serializer(typed?.type ? typed.value : x) as string : "" + x) + '"';
  }).join(delimiter) + "}";
}

interface ParserState {
  i: number;
  char: string | null;
  str: string;
  quoted: boolean;
  last: number;
  p?: string | null;
}

const arrayParserState: ParserState = { i: 0, char: null, str: "", quoted: false, last: 0 };

type Parser = ((x: string) => unknown) | undefined;

function arrayParser(x: string, parser: Parser, typarray: number): unknown[] {
  arrayParserState.i = arrayParserState.last = 0;
  return arrayParserLoop(arrayParserState, x, parser, typarray);
}

function arrayParserLoop(s: ParserState, x: string, parser: Parser, typarray: number): unknown[] {
  const xs: unknown[] = [];
  // Only _box (1020) has the ';' delimiter for arrays, all other types use the ',' delimiter
  const delimiter = typarray === 1020 ? ";" : ",";
  for (; s.i < x.length; s.i++) {
    s.char = x[s.i];
    if (s.quoted) {
      if (s.char === "\\") {
        s.str += x[++s.i];
      } else if (s.char === '"') {
        xs.push(parser ? parser(s.str) : s.str);
        s.str = "";
        s.quoted = x[s.i + 1] === '"';
        s.last = s.i + 2;
      } else {
        s.str += s.char;
      }
    } else if (s.char === '"') {
      s.quoted = true;
    } else if (s.char === "{") {
      s.last = ++s.i;
      xs.push(arrayParserLoop(s, x, parser, typarray));
    } else if (s.char === "}") {
      s.quoted = false;
      if (s.last < s.i) xs.push(parser ? parser(x.slice(s.last, s.i)) : x.slice(s.last, s.i));
      s.last = s.i + 1;
      break;
    } else if (s.char === delimiter && s.p !== "}" && s.p !== '"') {
      xs.push(parser ? parser(x.slice(s.last, s.i)) : x.slice(s.last, s.i));
      s.last = s.i + 1;
    }
    s.p = s.char;
  }
  if (s.last < s.i) xs.push(parser ? parser(x.slice(s.last, s.i + 1)) : x.slice(s.last, s.i + 1));
  return xs;
}
