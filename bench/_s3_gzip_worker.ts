/// <reference lib="deno.worker" />
/**
 * The second half of bench/_s3_files.ts's parallel gzip: raw deflate (level 1) of `[start, end)` of a
 * shared buffer, with the 32 KiB before it as the dictionary, so that it continues the first half's
 * deflate stream; the compressed bytes go back transferred.
 */
import { deflateRawSync } from "node:zlib";

self.onmessage = (e: MessageEvent<{ buf: SharedArrayBuffer; start: number; end: number }>) => {
  const { buf, start, end } = e.data;
  const u = new Uint8Array(buf);
  const out = new Uint8Array(
    deflateRawSync(u.subarray(start, end), {
      level: 1,
      dictionary: u.subarray(Math.max(0, start - 32768), start),
    }),
  );
  self.postMessage(out, [out.buffer]);
};
