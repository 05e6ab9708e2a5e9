/**
 * An S3-compatible server for the destination tests: `s3rver` (npm) in this process on a free loopback
 * port and a temp dir, with one bucket. It checks SigV4 signatures with the key pair S3RVER/S3RVER,
 * so a signing mistake fails the tests as it would against AWS.
 */
import { S3rver } from "./test_tools.ts";

export interface S3Server {
  endpoint: string;
  bucket: string;
  /** Credentials for an `s3` destination on the bucket. */
  credentials: Record<string, unknown>;
  /** Keys of every object in the bucket, sorted. */
  keys(): Promise<string[]>;
  /** An object's bytes as stored. */
  object(key: string): Promise<Uint8Array>;
  close(): Promise<void>;
}

/** Starts s3rver with a fresh bucket. */
export async function startS3(): Promise<S3Server> {
  const dir = await Deno.makeTempDir({ prefix: "sluice-s3-" });
  const bucket = "sluice-test";
  const server = new S3rver({
    port: 0,
    address: "127.0.0.1",
    silent: true,
    directory: dir,
    configureBuckets: [{ name: bucket }],
  });
  const addr = await server.run() as { address: string; port: number };
  const endpoint = `http://127.0.0.1:${addr.port}`;
  const root = `${dir}/${bucket}`;
  async function walk(path: string, prefix: string, out: string[]) {
    for await (const e of Deno.readDir(path)) {
      if (e.isDirectory) await walk(`${path}/${e.name}`, `${prefix}${e.name}/`, out);
      else if (e.name.endsWith("._S3rver_object")) {
        out.push(prefix + e.name.slice(0, -"._S3rver_object".length));
      }
    }
  }
  return {
    endpoint,
    bucket,
    credentials: {
      region: "us-east-1",
      accessKeyId: "S3RVER",
      secretAccessKey: "S3RVER",
      bucket,
      endpoint,
    },
    async keys() {
      const out: string[] = [];
      await walk(root, "", out);
      return out.sort();
    },
    object: (key) => Deno.readFile(`${root}/${key}._S3rver_object`),
    async close() {
      await server.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
}
