import { AppError } from "../../errors.ts";
import { errorMessage } from "../warehouse/client.ts";
import { S3Client, type S3ClientOptions, S3Error } from "./client.ts";
import { parseS3Credentials, type S3Credentials } from "./credentials.ts";

/** Answer of an S3 connection test; `step` names what failed first. */
export interface S3TestResult {
  ok: boolean;
  step?: "credentials" | "connect" | "put_object";
  error?: string;
}

/**
 * Checks that Sluice can write to the bucket: the credentials parse, then a small probe object is put
 * under `folder` and deleted again. Never throws.
 */
export async function testS3Connection(input: unknown, options: S3ClientOptions): Promise<S3TestResult> {
  let c: S3Credentials;
  try {
    c = parseS3Credentials(input);
  } catch (e) {
    return { ok: false, step: "credentials", error: e instanceof AppError ? e.message : errorMessage(e) };
  }
  const client = new S3Client(c, options);
  const name = `_sluice_connection_test_${crypto.randomUUID().replaceAll("-", "").slice(0, 12)}.txt`;
  const key = c.folder ? `${c.folder}/${name}` : name;
  try {
    await client.put(key, new TextEncoder().encode("sluice connection test\n"), {
      "content-type": "text/plain",
    });
    await client.delete(key);
    return { ok: true };
  } catch (e) {
    const reached = e instanceof S3Error && e.status > 0;
    return {
      ok: false,
      step: reached ? "put_object" : "connect",
      error: reached
        ? `Cannot write to bucket "${c.bucket}" as access key "${c.accessKeyId}": ${(e as S3Error).detail}`
        : errorMessage(e),
    };
  }
}
