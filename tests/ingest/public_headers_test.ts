import assert from "node:assert/strict";
import { publicHeaders } from "../../src/ingest/ingest.ts";

Deno.test("publicHeaders() drops Jitsu's internal headers, masks credentials and caps long values", () => {
  const h = new Headers({
    "content-type": "application/json",
    authorization: "Basic c2VjcmV0Og==",
    "x-write-key": "k:secret",
    cookie: "session=abc",
    "proxy-authorization": "Basic x",
    "x-jitsu-custom": "internal",
    "x-vercel-id": "internal",
    "user-agent": "u".repeat(3000),
    accept: "*/*",
  });
  assert.deepEqual(publicHeaders(h), {
    accept: "*/*",
    authorization: "***",
    "content-type": "application/json",
    cookie: "***",
    "proxy-authorization": "***",
    "user-agent": "u".repeat(2000),
    "x-write-key": "***",
  });
});
