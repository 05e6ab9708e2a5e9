/**
 * The S3 driver against s3rver (an S3-compatible server in this process): file formats, compression,
 * folder and key naming, the service's own error text, the private-network rule, and SigV4 against
 * AWS's documented example (s3rver checks V4 access key ids but not signatures).
 */
import assert from "node:assert/strict";
import { createHash, createHmac } from "node:crypto";
import { gunzipSync } from "node:zlib";
import { fakeClock } from "../../src/clock.ts";
import type { WriteBatch } from "../../src/destinations/driver.ts";
import { parseS3Credentials } from "../../src/destinations/s3/credentials.ts";
import { s3Driver } from "../../src/destinations/s3/driver.ts";
import { S3Client } from "../../src/destinations/s3/client.ts";
import { encodeFile, fileBytes, fileRows, fileText, objectKey } from "../../src/destinations/s3/files.ts";
import { flattenObject } from "../../src/destinations/warehouse/flatten.ts";
import { sha256Hex, signRequest } from "../../src/destinations/s3/sigv4.ts";
import type { BulkerBatchEntry } from "../../src/destinations/warehouse/types.ts";
import { memoryLogger } from "../../src/log.ts";
import { startS3 } from "../_helpers/s3.ts";
import { trackEvent } from "./_targets.ts";

function batchFor(credentials: Record<string, unknown>, events: Record<string, unknown>[]): WriteBatch {
  return {
    events,
    destination: { id: "dst1", type: "s3", workspaceId: "ws1", credentials },
    connection: { id: "conn1", streamId: "s1", mode: "batch", options: { mode: "batch" } },
    log: memoryLogger(),
    signal: new AbortController().signal,
  };
}

async function gunzip(bytes: Uint8Array): Promise<string> {
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(
    new DecompressionStream("gzip"),
  );
  return await new Response(stream).text();
}

Deno.test("s3 driver writes one gzip ndjson file per batch and table, under folder, named by time", async () => {
  const s3 = await startS3();
  const clock = fakeClock(new Date("2026-03-04T05:06:07.089Z"));
  const batches: BulkerBatchEntry[][] = [];
  const driver = s3Driver({ clock, onBatch: (e) => void batches.push(e) });
  try {
    assert.deepEqual([...driver.modes], ["batch"]);
    const creds = { ...s3.credentials, folder: "/raw/events/" };
    const events = [
      trackEvent({ messageId: "a" }),
      trackEvent({ messageId: "b", $table: "signups" }),
      trackEvent({ messageId: "c" }),
    ];
    const r = await driver.write(batchFor(creds, events));
    assert.deepEqual(r.map((x) => x.status), ["SUCCESS", "SUCCESS", "SUCCESS"]);
    const keys = await s3.keys();
    assert.equal(keys.length, 2);
    assert.match(keys[0], /^raw\/events\/events\/20260304T050607\.089Z_[0-9a-f]{16}\.ndjson\.gz$/);
    assert.match(keys[1], /^raw\/events\/signups\/20260304T050607\.089Z_[0-9a-f]{16}\.ndjson\.gz$/);
    assert.equal(r[0].target, `s3://${s3.bucket}/${keys[0]}`);
    const lines = (await gunzip(await s3.object(keys[0]))).trim().split("\n").map((l) => JSON.parse(l));
    assert.deepEqual(lines.map((l) => l.messageId), ["a", "c"]);
    assert.deepEqual(
      lines[0].properties.items,
      [{ sku: "a" }, { sku: "b" }],
      "ndjson keeps events as they are",
    );
    const signup = JSON.parse((await gunzip(await s3.object(keys[1]))).trim());
    assert.equal(signup.$table, undefined, "$table is not written");
    assert.equal(batches.length, 1);
    assert.deepEqual(batches[0].map((b) => [b.status, b.processedRows]), [["COMPLETED", 2], [
      "COMPLETED",
      1,
    ]]);

    // A later batch sorts after the first.
    clock.advance(1);
    await driver.write(batchFor(creds, [trackEvent({ messageId: "d" })]));
    const later = (await s3.keys()).filter((k) => k.startsWith("raw/events/events/"));
    assert.equal(later.length, 2);
    assert.ok(later[0] < later[1] && later[1].includes("20260304T050607.090Z"));
  } finally {
    await driver.close?.();
    await s3.close();
  }
});

Deno.test("s3 driver writes flat ndjson and csv, uncompressed", async () => {
  const s3 = await startS3();
  const driver = s3Driver();
  try {
    await driver.write(
      batchFor({ ...s3.credentials, format: "ndjson_flat", compression: "none", folder: "flat" }, [
        trackEvent({ messageId: "a" }),
      ]),
    );
    await driver.write(batchFor({ ...s3.credentials, format: "csv", compression: "none", folder: "csv" }, [
      trackEvent({ messageId: "a", properties: { note: 'say "hi", then go' } }),
      trackEvent({ messageId: "b", properties: { extra: 1 } }),
    ]));
    const keys = await s3.keys();
    const flatKey = keys.find((k) => k.startsWith("flat/"))!;
    assert.match(flatKey, /\.ndjson$/);
    const flat = JSON.parse(new TextDecoder().decode(await s3.object(flatKey)));
    assert.equal(flat.context_page_url, "https://example.com/x");
    assert.equal(flat.properties_total, 10);
    assert.deepEqual(flat.properties_items, [{ sku: "a" }, { sku: "b" }]);
    const csvKey = keys.find((k) => k.startsWith("csv/"))!;
    assert.match(csvKey, /\.csv$/);
    const csv = new TextDecoder().decode(await s3.object(csvKey)).split("\r\n");
    const header = csv[0].split(",");
    assert.deepEqual(header, [...header].sort(), "the header is every column, sorted");
    assert.ok(header.includes("properties_extra") && header.includes("properties_note"));
    assert.ok(csv[1].includes('"say ""hi"", then go"'), "cells are quoted per RFC 4180");
    assert.equal(csv.length, 4, "header, two rows, final line break");
  } finally {
    await driver.close?.();
    await s3.close();
  }
});

Deno.test("s3 driver writes the pipeline's event texts as ndjson lines as they are, else serialises", async () => {
  const s3 = await startS3();
  const driver = s3Driver();
  try {
    const events = [
      trackEvent({ messageId: "a" }),
      trackEvent({ messageId: "b", $table: "events" }),
      trackEvent({ messageId: "c" }),
    ];
    // Texts the queue would hold; "a"'s is spaced so that its use shows in the file.
    const texts = ['{"messageId": "a"}', JSON.stringify(events[1]), undefined];
    const batch = {
      ...batchFor({ ...s3.credentials, compression: "none" }, events),
      eventText: (i: number) => texts[i],
    };
    const r = await driver.write(batch);
    assert.deepEqual(r.map((x) => x.status), ["SUCCESS", "SUCCESS", "SUCCESS"]);
    const [key] = await s3.keys();
    const lines = new TextDecoder().decode(await s3.object(key)).split("\n");
    assert.equal(lines[0], '{"messageId": "a"}', "the given text, unchanged");
    assert.equal(
      JSON.parse(lines[1]).$table,
      undefined,
      "an event with a table key is serialised without it",
    );
    assert.deepEqual(JSON.parse(lines[2]), events[2], "no text: serialised");
    assert.equal(lines[3], "", "one line per event, then a final line break");

    // Every event with its text, gzip: the file is the texts, one a line, for any gunzip.
    const all = ['{"messageId": "x"}', '{"messageId":"y","a":"é"}'];
    const r2 = await driver.write({
      ...batchFor({ ...s3.credentials, folder: "t" }, [
        trackEvent({ messageId: "x" }),
        trackEvent({ messageId: "y" }),
      ]),
      eventText: (i: number) => all[i],
    });
    assert.deepEqual(r2.map((x) => x.status), ["SUCCESS", "SUCCESS"]);
    const gz = await s3.object((await s3.keys()).find((k) => k.startsWith("t/"))!);
    assert.equal(await gunzip(gz), all.join("\n") + "\n", "DecompressionStream reads it");
    assert.equal(new TextDecoder().decode(gunzipSync(gz)), all.join("\n") + "\n", "node:zlib reads it");

    await driver.write({
      ...batchFor({ ...s3.credentials, format: "csv", compression: "none", folder: "c" }, [events[0]]),
      eventText: () => "{}",
    });
    const csvKey = (await s3.keys()).find((k) => k.startsWith("c/"))!;
    assert.match(
      new TextDecoder().decode(await s3.object(csvKey)),
      /^[a-z_,]+\r\n.*,a,/s,
      "csv ignores the texts",
    );
  } finally {
    await driver.close?.();
    await s3.close();
  }
});

Deno.test("s3 client signs the payload over http and sends UNSIGNED-PAYLOAD over https", async () => {
  const s3 = await startS3();
  const seen: string[] = [];
  const record = (input: URL | RequestInfo, init?: RequestInit) => {
    seen.push(new Headers(init?.headers).get("x-amz-content-sha256") ?? "");
    return String(input).startsWith("https:") ? Promise.resolve(new Response(null)) : fetch(input, init);
  };
  try {
    const body = new TextEncoder().encode("hello\n");
    const http = new S3Client(parseS3Credentials(s3.credentials), {
      allowPrivateNetwork: true,
      fetch: record,
    });
    await http.put("x.txt", body, {});
    assert.equal(seen[0], sha256Hex(body));
    assert.deepEqual(await s3.keys(), ["x.txt"]);
    const https = new S3Client(
      parseS3Credentials({ ...s3.credentials, endpoint: "https://s3.example.com" }),
      { allowPrivateNetwork: false, resolve: () => Promise.resolve(["93.184.215.14"]), fetch: record },
    );
    await https.put("x.txt", body, {});
    assert.equal(seen[1], "UNSIGNED-PAYLOAD");
  } finally {
    await s3.close();
  }
});

Deno.test("flat rows are flattenObject's rows of the event without its table keys, whatever the shape", () => {
  const date = new Date("2026-01-02T03:04:05.000Z");
  const shapes: Record<string, unknown>[] = [
    trackEvent(),
    trackEvent({ properties: { total: "10", currency: null, items: [] } }), // same keys, other kinds
    trackEvent({ $table: "signups", JITSU_TABLE_NAME: "other" }),
    {
      a: { b: { c: { d: 1 } } },
      "Ünïcode key": "x",
      "with space": true,
      empty: {},
      nan: NaN,
      inf: -Infinity,
    },
    { deep: { l1: { l2: { l3: { l4: { l5: { l6: { l7: { l8: { l9: { l10: "too deep" } } } } } } } } } } },
    { when: date, big: 12n, nested: { when: date } },
    { ["k".repeat(300)]: "long name", n: { ["m".repeat(300)]: 1 } },
    JSON.parse('{"__proto__": {"x": 1}, "y": 2}'),
    { arr: [{ camelCase: 1 }, [1, 2]], zero: 0, neg: -0, f: false, s: "" },
    { _unmapped_data: { a: 1, b: [2] }, x: 1 }, // the warehouse core's own column name, as an event's key
  ];
  // Each shape several times, interleaved: compiled mappers are made, reused, and checked per event.
  const events = Array.from(
    { length: 4 },
    (_, round) => shapes.map((e, i) => ({ ...e, messageId: `m${round}-${i}` })),
  ).flat();
  for (const format of ["ndjson_flat", "csv"] as const) {
    const rows = fileRows(events, format);
    events.forEach((e, i) => {
      const clean: Record<string, unknown> = { ...e };
      delete clean.$table;
      delete clean.JITSU_TABLE_NAME;
      const want = flattenObject(clean, { maxNameLength: 255 });
      assert.deepEqual(Object.keys(rows[i]), Object.keys(want), `keys of event ${i}`);
      assert.deepEqual(rows[i], want, `row of event ${i}`);
    });
  }
});

Deno.test("csv cells: numbers and booleans as they are, null empty, objects as JSON, quoting only when needed", () => {
  const text = encodeFile([{ a: 1.5, b: true, c: null, d: { x: [1, "y"] }, e: "plain", f: "a,b" }, {
    g: 'say "hi"\n',
  }], "csv");
  assert.equal(
    text,
    'a,b,c,d,e,f,g\r\n1.5,true,,"{""x"":[1,""y""]}",plain,"a,b",\r\n,,,,,,"say ""hi""\n"\r\n',
  );
});

Deno.test("file bytes: many lines and non-ASCII text come out as the file's UTF-8, compressed or not", async () => {
  const small = Array.from(
    { length: 3000 },
    (_, i) => ({ i, name: i % 7 ? "plain" : "é€ 😀 ß", pad: "x".repeat(40) }),
  );
  // Over the first buffer's 1 MiB in UTF-8 (three bytes per character), so the buffer grows mid-file;
  // lines of many lengths, so that one ends up not fitting in what is left.
  const big = Array.from(
    { length: 900 },
    (_, i) => ({ i, text: "€".repeat(100 + (i * 37) % 900), emoji: "😀".repeat(i % 50) }),
  );
  for (const format of ["ndjson", "ndjson_flat", "csv"] as const) {
    for (const rows of [small, big, small.slice(0, 2)]) {
      const text = encodeFile(rows, format);
      assert.equal(new TextDecoder().decode(await fileBytes(fileText(rows, format), "none")), text);
      assert.equal(await gunzip(await fileBytes(fileText(rows, format), "gzip")), text);
    }
  }
  // Lines given as an array, and two files at once (each takes its own buffer).
  const [a, b] = await Promise.all([
    fileBytes({ lines: ["a", "é"], eol: "\r\n" }, "none"),
    fileBytes({ lines: ["b"], eol: "\n" }, "gzip"),
  ]);
  assert.equal(new TextDecoder().decode(a), "a\r\né\r\n");
  assert.equal(await gunzip(b), "b\n");
  assert.equal((await fileBytes({ lines: [], eol: "\n" }, "none")).length, 0, "no lines, no bytes");
});

Deno.test("s3 driver shows the service's error text, refuses iam and private endpoints when not allowed", async () => {
  const s3 = await startS3();
  const driver = s3Driver();
  const closed = s3Driver({ allowPrivateNetwork: false });
  const publicDns = s3Driver({ resolve: () => Promise.resolve(["93.184.215.14"]) });
  try {
    const nobucket = await driver.write(
      batchFor({ ...s3.credentials, bucket: "missing-bucket" }, [trackEvent()]),
    );
    assert.equal(nobucket[0].status, "FAILED");
    assert.equal(nobucket[0].retryable, true);
    assert.match(nobucket[0].error!, /NoSuchBucket: The specified bucket does not exist \(HTTP 404\)/);
    const badKey = await driver.write(batchFor({ ...s3.credentials, accessKeyId: "NOPE" }, [trackEvent()]));
    assert.match(badKey[0].error!, /InvalidAccessKeyId/);
    const iam = await driver.write(
      batchFor({ ...s3.credentials, authenticationMethod: "iam" }, [trackEvent()]),
    );
    assert.equal(iam[0].retryable, false);
    assert.match(iam[0].error!, /authenticationMethod: "iam" \(assuming a role\) is not supported/);
    const blocked = await closed.write(batchFor(s3.credentials, [trackEvent()]));
    assert.match(blocked[0].error!, /non-public address .*DESTINATIONS_ALLOW_PRIVATE_NETWORK=true/);
    const plain = await publicDns.write(
      batchFor({ ...s3.credentials, endpoint: "http://s3.example.com" }, [trackEvent()]),
    );
    assert.match(plain[0].error!, /plain http is only allowed to a private or loopback endpoint/);
    assert.deepEqual(await s3.keys(), []);
  } finally {
    await s3.close();
  }
});

Deno.test("SigV4 signs AWS's documented GET Object example to its published signature", () => {
  const headers = signRequest(
    {
      accessKeyId: "AKIAIOSFODNN7EXAMPLE",
      secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
      region: "us-east-1",
    },
    {
      method: "GET",
      url: new URL("https://examplebucket.s3.amazonaws.com/test.txt"),
      headers: { Range: "bytes=0-9" },
      payloadHash: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
      now: new Date("2013-05-24T00:00:00Z"),
    },
  );
  assert.equal(
    headers.authorization,
    "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, " +
      "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, " +
      "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41",
  );
});

Deno.test("SigV4 signing keys are cached per secret, day and region, never shared between them", () => {
  const req = (now: string) => ({
    method: "PUT",
    url: new URL("https://bucket.s3.eu-west-1.amazonaws.com/events/x.ndjson.gz"),
    headers: { "content-type": "application/x-ndjson" },
    payloadHash: "UNSIGNED-PAYLOAD",
    now: new Date(now),
  });
  // The signature as SigV4 defines it, derived here with node:crypto on every call (no cache).
  function expected(secret: string, region: string, now: string, canonicalHash: string): string {
    const day = now.slice(0, 10).replaceAll("-", "");
    const amzDate = new Date(now).toISOString().replace(/[-:]/g, "").replace(/\.\d{3}/, "");
    let k: Buffer = createHmac("sha256", `AWS4${secret}`).update(day).digest();
    for (const part of [region, "s3", "aws4_request"]) k = createHmac("sha256", k).update(part).digest();
    const toSign = ["AWS4-HMAC-SHA256", amzDate, `${day}/${region}/s3/aws4_request`, canonicalHash].join(
      "\n",
    );
    return createHmac("sha256", k).update(toSign).digest("hex");
  }
  const canonical = (r: ReturnType<typeof req>, headers: Record<string, string>) => {
    const all: Record<string, string> = { ...headers, host: r.url.host };
    delete all.authorization;
    const names = Object.keys(all).sort();
    return createHash("sha256").update(
      [
        r.method,
        r.url.pathname,
        "",
        names.map((n) => `${n}:${all[n]}\n`).join(""),
        names.join(";"),
        r.payloadHash,
      ]
        .join("\n"),
    ).digest("hex");
  };
  const cases = [
    { secret: "secret-one", region: "eu-west-1", now: "2026-12-07T10:00:00Z" },
    { secret: "secret-one", region: "eu-west-1", now: "2026-12-07T23:59:59Z" }, // same day: cached key
    { secret: "secret-two", region: "eu-west-1", now: "2026-12-07T10:00:00Z" }, // another secret
    { secret: "secret-one", region: "us-east-1", now: "2026-12-07T10:00:00Z" }, // another region
    { secret: "secret-one", region: "eu-west-1", now: "2026-12-08T00:00:01Z" }, // the next day
    { secret: "secret-one", region: "eu-west-1", now: "2026-12-07T10:00:00Z" }, // back to the first
  ];
  const signatures = new Set<string>();
  for (const c of cases) {
    const r = req(c.now);
    const headers = signRequest({ accessKeyId: "AK", secretAccessKey: c.secret, region: c.region }, r);
    const signature = /Signature=([0-9a-f]{64})$/.exec(headers.authorization)![1];
    assert.equal(signature, expected(c.secret, c.region, c.now, canonical(r, headers)), JSON.stringify(c));
    signatures.add(signature);
  }
  assert.equal(signatures.size, 5, "only the repeated request signs the same");
});

Deno.test("s3 credentials: AWS gets virtual-hosted URLs, an endpoint path-style; keys never collide", () => {
  const aws = parseS3Credentials({
    bucket: "logs",
    region: "eu-west-1",
    accessKeyId: "k",
    secretAccessKey: "s",
  });
  assert.equal(aws.base.href, "https://logs.s3.eu-west-1.amazonaws.com/");
  const r2 = parseS3Credentials({
    bucket: "logs",
    endpoint: "https://acc.r2.cloudflarestorage.com/",
    region: "auto",
    accessKeyId: "k",
    secretAccessKey: "s",
  });
  assert.equal(r2.base.href, "https://acc.r2.cloudflarestorage.com/logs");
  assert.throws(() => parseS3Credentials({ bucket: "logs", accessKeyId: "k" }), /secretAccessKey: required/);
  assert.throws(
    () => parseS3Credentials({ bucket: "logs", accessKeyId: "k", secretAccessKey: "s", endpoint: "ftp://x" }),
    /endpoint: must be an http/,
  );
  const now = new Date();
  const keys = new Set(
    Array.from(
      { length: 1000 },
      () => objectKey({ folder: "", table: "events", now, format: "csv", compression: "gzip" }),
    ),
  );
  assert.equal(keys.size, 1000, "same millisecond, still distinct");
});
