/**
 * The S3 part of `deno task bench warehouse` (run by bench/_s3.ts in a process of its own): a 10,000-event batch file through the driver's writeFile
 * (rows, encoding, gzip, SHA-256 over http, SigV4, PUT) next to a raw PUT of the same bytes, per format
 * and compression, against two endpoints in this process: s3rver (as the tests start it: it stores the
 * object on disk and computes its MD5) and a bare HTTP endpoint that reads the body and answers 200 at
 * once. Best of ROUNDS, driver and raw interleaved. `+texts`: the driver is given each event's JSON text
 * as the pipeline hands it over when no function ran (WriteBatch.eventText), so ndjson needs no
 * serialisation. Then each step of the driver's work on its own, so a
 * reader can see where the time goes, and the bandwidth below which the 2x target holds. Alone:
 * `deno run -A --lock=tests/deno.lock bench/_s3_files.ts`.
 */
import { S3Client } from "../src/destinations/s3/client.ts";
import { parseS3Credentials, type S3Credentials } from "../src/destinations/s3/credentials.ts";
import { writeFile } from "../src/destinations/s3/driver.ts";
import { fileBytes, filePieces, fileRows } from "../src/destinations/s3/files.ts";
import { sha256Hex, signRequest } from "../src/destinations/s3/sigv4.ts";
import { startS3 } from "../tests/_helpers/s3.ts";
import { cpuMs, makeEvents } from "./_warehouse_events.ts";

type Events = (n: number, tag: string, table?: string) => Record<string, unknown>[];
type Format = S3Credentials["format"];
type Compression = S3Credentials["compression"];

const N = 10_000;
const HEADERS = { "content-type": "application/x-ndjson" };
const ROUNDS = 3;
/** The steps are short: more rounds, so that the best of them is one without a garbage collection. */
const STEP_ROUNDS = 5;

/** `texts`: the pipeline hands over each event's queued JSON text (no function ran on it). */
interface Variant {
  format: Format;
  compression: Compression;
  texts: boolean;
}

const VARIANTS: Variant[] = [
  { format: "ndjson", compression: "gzip", texts: true },
  { format: "ndjson", compression: "gzip", texts: false },
  { format: "ndjson", compression: "none", texts: true },
  { format: "ndjson", compression: "none", texts: false },
  { format: "ndjson_flat", compression: "gzip", texts: false },
  { format: "ndjson_flat", compression: "none", texts: false },
  { format: "csv", compression: "gzip", texts: false },
  { format: "csv", compression: "none", texts: false },
];

interface Timing {
  ms: number;
  cpu: number;
}

async function timed(f: () => Promise<unknown> | unknown): Promise<Timing> {
  const started = performance.now();
  const cpu = cpuMs();
  await f();
  return { ms: performance.now() - started, cpu: cpuMs() - cpu };
}

function best(a: Timing, b: Timing): Timing {
  return { ms: Math.min(a.ms, b.ms), cpu: Math.min(a.cpu, b.cpu) };
}

const NONE: Timing = { ms: Infinity, cpu: Infinity };
const f1 = (x: number) => x.toFixed(1);

/** A PUT of ready bytes with fetch, as any HTTP client would send it (no signing: both servers allow it). */
async function rawPut(url: string, body: Uint8Array): Promise<void> {
  const res = await fetch(url, { method: "PUT", body: body as Uint8Array<ArrayBuffer> });
  await res.body?.cancel();
  if (!res.ok) throw new Error(`raw PUT ${url}: HTTP ${res.status}`);
}

/** The driver's steps one by one, on one set of events (best of ROUNDS each). */
async function steps(v: Variant, events: Record<string, unknown>[]) {
  const { format, compression } = v;
  const texts = v.texts ? events.map((e) => JSON.stringify(e)) : undefined;
  let rows = NONE, text = NONE, bytes = NONE, sha = NONE, sign = NONE;
  let size = 0;
  for (let r = 0; r < STEP_ROUNDS; r++) {
    let rs: Record<string, unknown>[] = [];
    rows = best(rows, await timed(() => rs = fileRows(events, format)));
    let t: string[] = [];
    text = best(text, await timed(() => t = filePieces(rs, format, texts)));
    let body = new Uint8Array();
    bytes = best(bytes, await timed(async () => body = await fileBytes(t, compression)));
    size = body.length;
    sha = best(sha, await timed(() => sha256Hex(body)));
    sign = best(
      sign,
      await timed(() =>
        signRequest({ accessKeyId: "a", secretAccessKey: "b", region: "us-east-1" }, {
          method: "PUT",
          url: new URL("https://bucket.s3.us-east-1.amazonaws.com/events/x.ndjson.gz"),
          headers: { "content-type": "application/x-ndjson" },
          payloadHash: "UNSIGNED-PAYLOAD",
          now: new Date(),
        })
      ),
    );
  }
  return { rows, text, bytes, sha, sign, size };
}

/** S3: a 10,000-event batch file through the driver vs a raw PUT of the same bytes. */
async function benchS3Files(makeEvents: Events): Promise<void> {
  const s3 = await startS3();
  const sink = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    await req.arrayBuffer();
    return new Response(null, { status: 200 });
  });
  const endpoints = [
    { name: "s3rver", url: s3.endpoint },
    { name: "bare", url: `http://127.0.0.1:${sink.addr.port}` },
  ];
  console.log(
    `s3 bench: ${N}-event file, best of ${ROUNDS}; ms wall (ms CPU of this process, which also runs the server)`,
  );
  console.log(
    "s3 file                endpoint  bytes      driver          raw PUT        ratio  client PUT of the bytes",
  );
  try {
    for (const v of VARIANTS) {
      {
        const { format, compression } = v;
        const label = `${format}/${compression}${v.texts ? "+texts" : ""}`.padEnd(22);
        for (const ep of endpoints) {
          const creds = parseS3Credentials({ ...s3.credentials, endpoint: ep.url, format, compression });
          const client = new S3Client(creds, { allowPrivateNetwork: true });
          await client.check();
          let driver = NONE, raw = NONE, put = NONE;
          let size = 0;
          for (let r = 0; r < ROUNDS; r++) {
            const events = makeEvents(N, `s3${r}`);
            // What the pipeline would hand over, ready before the clock starts as it is in the queue.
            const texts = v.texts ? events.map((e) => JSON.stringify(e)) : [];
            const text = v.texts ? (i: number) => texts[i] : undefined;
            driver = best(
              driver,
              await timed(async () => {
                size = (await writeFile(client, creds, "events", events, new Date(), text)).bytes;
              }),
            );
            const same = await fileBytes(filePieces(fileRows(events, format), format), compression);
            raw = best(raw, await timed(() => rawPut(`${ep.url}/${s3.bucket}/raw/${format}-${r}`, same)));
            // The driver's client sending the same ready bytes: signing, headers, the URL check.
            put = best(put, await timed(() => client.put(`signed/${format}-${r}`, same, HEADERS)));
          }
          console.log(
            `s3 ${label} ${ep.name.padEnd(9)} ${String(size).padEnd(10)} ${
              `${f1(driver.ms)} (${f1(driver.cpu)})`.padEnd(15)
            } ${`${f1(raw.ms)} (${f1(raw.cpu)})`.padEnd(14)} ${(driver.ms / raw.ms).toFixed(1)}x   ${
              f1(put.ms)
            } (${f1(put.cpu)})`,
          );
          if (ep.name === "bare") {
            // What the driver adds to a PUT is CPU work on this thread: the CPU it used beyond the raw
            // PUT's (both include the server's share, which is the same bytes). On a link where the PUT
            // itself takes at least that long, the file is written in at most twice the PUT's time.
            const over = Math.max(driver.cpu - raw.cpu, 0.1);
            const mbit = (size * 8) / 1e6 / (over / 1000);
            console.log(
              `s3 ${label} the driver adds ${
                f1(over)
              } ms of CPU: 2x holds where a PUT of ${size} bytes takes >= ${f1(over)} ms (a link of <= ${
                mbit.toFixed(0)
              } Mbit/s, latency aside)`,
            );
          }
        }
        const s = await steps(v, makeEvents(N, "steps"));
        const part = (name: string, t: Timing) => `${name} ${f1(t.ms)} (${f1(t.cpu)})`;
        console.log(
          `s3 ${label} steps: ${
            [
              part("rows", s.rows),
              part("encode", s.text),
              part(compression === "gzip" ? "utf-8+gzip" : "utf-8", s.bytes),
              part("sha256 (http only)", s.sha),
              part("sign", s.sign),
            ].join(", ")
          }`,
        );
      }
    }
    // Where the bytes of an ndjson file come from, and compression alternatives, on the same text.
    const parts = filePieces(fileRows(makeEvents(N, "gz"), "ndjson"), "ndjson");
    const text = parts.join("");
    const raw = new TextEncoder().encode(text);
    const reused = new Uint8Array(raw.length);
    let fresh = NONE, into = NONE, zl1 = NONE, cs = NONE;
    let z1 = 0, c6 = 0;
    for (let r = 0; r < STEP_ROUNDS; r++) {
      fresh = best(fresh, await timed(() => new TextEncoder().encode(text)));
      into = best(into, await timed(() => new TextEncoder().encodeInto(text, reused)));
      zl1 = best(zl1, await timed(async () => z1 = (await fileBytes(parts, "gzip")).length));
      cs = best(
        cs,
        await timed(async () => {
          const stream = new Blob([raw]).stream().pipeThrough(new CompressionStream("gzip"));
          c6 = (await new Response(stream).arrayBuffer()).byteLength;
        }),
      );
    }
    const ms = (t: Timing) => `${f1(t.ms)} ms (${f1(t.cpu)})`;
    console.log(
      `s3 ${raw.length} bytes of ndjson as UTF-8: into a fresh buffer (TextEncoder.encode) ${
        ms(fresh)
      }, into a reused one (encodeInto) ${ms(into)}; the driver's pieces + node:zlib level 1 ${
        ms(zl1)
      } -> ${z1} bytes; CompressionStream (level 6) ${ms(cs)} -> ${c6} bytes`,
    );
  } finally {
    await sink.shutdown();
    await s3.close();
  }
}

if (import.meta.main) await benchS3Files(makeEvents);
