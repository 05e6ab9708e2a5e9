/**
 * The S3 part of `deno task bench warehouse` (run by bench/_s3.ts in a process of its own): a 10,000-event batch file through the driver's writeFile
 * (rows, encoding, gzip, SHA-256 over http, SigV4, PUT) next to a raw PUT of the same bytes, per format
 * and compression, against two endpoints in this process: s3rver (as the tests start it: it stores the
 * object on disk and computes its MD5) and a bare HTTP endpoint that reads the body and answers 200 at
 * once. Best of ROUNDS after a warm-up round (TARGET_ROUNDS for the target's default file), driver and
 * raw interleaved, with the ratio of their medians last. `+texts`: the driver is given each event's JSON text
 * as the pipeline hands it over when no function ran (WriteBatch.eventText), so ndjson needs no
 * serialisation. Then each step of the driver's work on its own, so a
 * reader can see where the time goes, and the bandwidth below which the 2x target holds; last, UTF-8 and
 * gzip of an ndjson file's text per implementation and level (compression()). Alone:
 * `deno run -A --lock=tests/deno.lock bench/_s3_files.ts`.
 */
import { S3Client } from "../src/destinations/s3/client.ts";
import { parseS3Credentials, type S3Credentials } from "../src/destinations/s3/credentials.ts";
import { writeFile } from "../src/destinations/s3/driver.ts";
import { fileBytes, fileRows, type FileText, fileText } from "../src/destinations/s3/files.ts";
import { sha256Hex, signRequest } from "../src/destinations/s3/sigv4.ts";
import { startS3 } from "../tests/_helpers/s3.ts";
import { cpuMs, makeEvents } from "./_warehouse_events.ts";

type Events = (n: number, tag: string, table?: string) => Record<string, unknown>[];
type Format = S3Credentials["format"];
type Compression = S3Credentials["compression"];

const N = 10_000;
const HEADERS = { "content-type": "application/x-ndjson" };
const ROUNDS = 5;
/** The default file (ndjson, gzip, queued texts) is the target's: more rounds, and their median too. */
const TARGET_ROUNDS = 15;
/** The steps are short: more rounds, so that the best of them is one without a garbage collection. */
const STEP_ROUNDS = 5;

/** `texts`: the pipeline hands over each event's queued JSON text (no function ran on it). */
interface Variant {
  format: Format;
  compression: Compression;
  texts: boolean;
  rounds?: number;
}

const VARIANTS: Variant[] = [
  { format: "ndjson", compression: "gzip", texts: true, rounds: TARGET_ROUNDS },
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
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
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
    // The driver makes each line as it encodes it; here the lines are made first, to time each part.
    let t: FileText = { lines: [], eol: "\n" };
    text = best(
      text,
      await timed(() => {
        const f = fileText(rs, format, texts);
        t = { lines: [...f.lines], eol: f.eol };
      }),
    );
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

/**
 * The bench's events with less repetition: random ids, times and amounts, as real traffic has. Gzip's
 * speed depends on the text (long repeats are cheap), so its figures are printed on both.
 */
function variedEvents(n: number): Record<string, unknown>[] {
  return makeEvents(n, "v").map((e, i) => ({
    ...e,
    messageId: crypto.randomUUID(),
    anonymousId: crypto.randomUUID(),
    userId: `user-${Math.floor(Math.random() * 1e6)}`,
    timestamp: new Date(Date.UTC(2026, 0, 1) + Math.floor(Math.random() * 1e9)).toISOString(),
    properties: {
      ...(e.properties as Record<string, unknown>),
      total: Math.round(Math.random() * 1e5) / 100,
      items: [{ sku: crypto.randomUUID().slice(0, 8), qty: i % 7 }],
    },
  }));
}

function busy(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) { /* other work on this thread */ }
}

/**
 * One gzip member made on two threads, as pigz does: this thread deflates the first half (ending in a
 * sync flush, so that the second half's stream can follow it), a Worker the second half with the 32
 * KiB before it as its dictionary, and this thread takes the CRC-32 of the whole text meanwhile. Any
 * gunzip reads it (a concatenation of two gzip members would be refused by DecompressionStream).
 */
async function parallelGzip(worker: Worker, shared: Uint8Array, n: number): Promise<Uint8Array> {
  const zlib = await import("node:zlib");
  const half = n >> 1;
  const second = new Promise<Uint8Array>((resolve) => worker.onmessage = (e) => resolve(e.data));
  worker.postMessage({ buf: shared.buffer, start: half, end: n });
  const first = zlib.deflateRawSync(shared.subarray(0, half), {
    level: 1,
    finishFlush: zlib.constants.Z_SYNC_FLUSH,
  });
  const crc = zlib.crc32(shared.subarray(0, n));
  const rest = await second;
  const out = new Uint8Array(10 + first.length + rest.length + 8);
  out.set([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 4, 3]); // gzip, deflate, no name or time, fastest, Unix
  out.set(first, 10);
  out.set(rest, 10 + first.length);
  const trailer = new DataView(out.buffer, out.length - 8);
  trailer.setUint32(0, crc >>> 0, true);
  trailer.setUint32(4, n >>> 0, true);
  return out;
}

/**
 * UTF-8 and gzip of an ndjson file's text, per implementation, level and option, interleaved (each
 * once per round, best of STEP_ROUNDS): node:zlib's gzipSync and gzip (asynchronous: its wall time with
 * 20 ms of other work on this thread after the call shows whether it runs elsewhere), zlib's strategies
 * and memory options at level 1, the two-thread gzip above, and CompressionStream (zlib's default
 * level 6), with the compressed size and the text's size over it.
 */
async function compression(makeEvents: Events): Promise<void> {
  const worker = new Worker(new URL("./_s3_gzip_worker.ts", import.meta.url), { type: "module" });
  try {
    for (const [name, events] of [["bench", makeEvents(N, "gz")], ["varied", variedEvents(N)]] as const) {
      await compressionOf(name, events, worker);
    }
  } finally {
    worker.terminate();
  }
}

async function compressionOf(name: string, events: Record<string, unknown>[], worker: Worker): Promise<void> {
  const { constants, gunzipSync, gzip, gzipSync } = await import("node:zlib");
  const gzipAsync = (data: Uint8Array, level: number) =>
    new Promise<number>((resolve, reject) =>
      gzip(data, { level }, (err, out) => err ? reject(err) : resolve(out.length))
    );
  {
    // The lines made once, as the queue's texts are: the driver's entry is then UTF-8 and gzip alone.
    const lines = [...fileText(fileRows(events, "ndjson"), "ndjson").lines];
    const text = lines.map((l) => l + "\n").join("");
    const raw = new TextEncoder().encode(text);
    const reused = new Uint8Array(raw.length);
    const shared = new Uint8Array(new SharedArrayBuffer(raw.length));
    shared.set(raw);
    const twoThreads = await parallelGzip(worker, shared, raw.length);
    if (!gunzipSync(twoThreads).equals(raw)) throw new Error("the two-thread gzip does not read back");
    const ways: { label: string; run: () => Promise<number> | number }[] = [
      {
        label: "UTF-8 into a fresh buffer (TextEncoder.encode)",
        run: () => new TextEncoder().encode(text).length,
      },
      {
        label: "UTF-8 into a reused buffer (encodeInto)",
        run: () => new TextEncoder().encodeInto(text, reused).written,
      },
      {
        label: "the driver's fileBytes (lines, UTF-8, gzipSync level 1)",
        run: async () => (await fileBytes({ lines, eol: "\n" }, "gzip")).length,
      },
      ...[1, 2, 3, 6].map((level) => ({
        label: `gzipSync level ${level}`,
        run: () => gzipSync(raw, { level }).length,
      })),
      ...([
        ["Z_FIXED", { strategy: constants.Z_FIXED }],
        ["Z_RLE", { strategy: constants.Z_RLE }],
        ["Z_HUFFMAN_ONLY", { strategy: constants.Z_HUFFMAN_ONLY }],
        ["memLevel 9", { memLevel: 9 }],
        ["windowBits 12", { windowBits: 12 }],
        ["chunkSize text/8 (the driver's)", { chunkSize: raw.length >> 3 }],
      ] as const).map(([what, options]) => ({
        label: `gzipSync level 1, ${what}`,
        run: () => gzipSync(raw, { level: 1, ...options }).length,
      })),
      {
        label: "gzip level 1 on two threads (one member)",
        run: async () => (await parallelGzip(worker, shared, raw.length)).length,
      },
      ...[1, 6].map((level) => ({ label: `gzip (async) level ${level}`, run: () => gzipAsync(raw, level) })),
      {
        label: "gzip (async) level 1 + 20 ms of other work",
        run: async () => {
          const out = gzipAsync(raw, 1);
          busy(20);
          return await out;
        },
      },
      {
        label: "CompressionStream (level 6)",
        run: async () => {
          const stream = new Blob([raw]).stream().pipeThrough(new CompressionStream("gzip"));
          return (await new Response(stream).arrayBuffer()).byteLength;
        },
      },
    ];
    const times = ways.map(() => NONE);
    const sizes = ways.map(() => 0);
    for (let r = 0; r < STEP_ROUNDS; r++) {
      for (let w = 0; w < ways.length; w++) {
        times[w] = best(times[w], await timed(async () => sizes[w] = await ways[w].run()));
      }
    }
    console.log(`s3 ${name} events: ${raw.length} bytes of ndjson; ms wall (ms CPU), bytes out, text/out`);
    ways.forEach((w, i) => {
      const size = w.label.startsWith("UTF-8")
        ? ""
        : `${sizes[i]} bytes, ${(raw.length / sizes[i]).toFixed(1)}x`;
      console.log(
        `s3   ${w.label.padEnd(52)} ${`${f1(times[i].ms)} (${f1(times[i].cpu)})`.padEnd(14)} ${size}`,
      );
    });
  }
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
    `s3 bench: ${N}-event file, best of ${ROUNDS} (the first file ${TARGET_ROUNDS}); ms wall (ms CPU of this process, which also runs the server); last, the ratio of the medians`,
  );
  console.log(
    "s3 file                endpoint  bytes      driver          raw PUT        ratio  client PUT of the bytes  median",
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
          const driverMs: number[] = [], rawMs: number[] = [];
          let size = 0;
          // One round first that is not counted: the first files of a format warm the code up.
          for (let r = -1; r < (v.rounds ?? ROUNDS); r++) {
            const events = makeEvents(N, `s3${r}`);
            // What the pipeline would hand over, ready before the clock starts as it is in the queue.
            const texts = v.texts ? events.map((e) => JSON.stringify(e)) : [];
            const text = v.texts ? (i: number) => texts[i] : undefined;
            const same = await fileBytes(fileText(fileRows(events, format), format), compression);
            const file = () =>
              timed(async () => {
                size = (await writeFile(client, creds, "events", events, new Date(), text)).bytes;
              });
            // Driver first in even rounds, last in odd ones: the garbage of making the events and the
            // file before falls on each side alike.
            const driverFirst = r % 2 === 0;
            let d = driverFirst ? await file() : NONE;
            const w = await timed(() => rawPut(`${ep.url}/${s3.bucket}/raw/${format}-${r}`, same));
            // The driver's client sending the same ready bytes: signing, headers, the URL check.
            const p = await timed(() => client.put(`signed/${format}-${r}`, same, HEADERS));
            if (!driverFirst) d = await file();
            if (r < 0) continue;
            driver = best(driver, d);
            raw = best(raw, w);
            driverMs.push(d.ms);
            rawMs.push(w.ms);
            put = best(put, p);
          }
          console.log(
            `s3 ${label} ${ep.name.padEnd(9)} ${String(size).padEnd(10)} ${
              `${f1(driver.ms)} (${f1(driver.cpu)})`.padEnd(15)
            } ${`${f1(raw.ms)} (${f1(raw.cpu)})`.padEnd(14)} ${(driver.ms / raw.ms).toFixed(1)}x   ${
              `${f1(put.ms)} (${f1(put.cpu)})`.padEnd(24)
            } ${(median(driverMs) / median(rawMs)).toFixed(1)}x`,
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
              part("lines", s.text),
              part(compression === "gzip" ? "utf-8+gzip" : "utf-8", s.bytes),
              part("sha256 (http only)", s.sha),
              part("sign", s.sign),
            ].join(", ")
          }`,
        );
      }
    }
    await compression(makeEvents);
  } finally {
    await sink.shutdown();
    await s3.close();
  }
}

if (import.meta.main) await benchS3Files(makeEvents);
