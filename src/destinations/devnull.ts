/** The `devnull` destination: accepts every event and keeps none (for trying functions end to end). */
import type { DestinationDriver, WriteBatch, WriteResult } from "./driver.ts";

/** The devnull driver. */
export function devnullDriver(): DestinationDriver {
  return {
    type: "devnull",
    modes: ["stream", "batch"],
    write(batch: WriteBatch): Promise<WriteResult[]> {
      return Promise.resolve(batch.events.map(() => ({ status: "SUCCESS", target: "devnull" })));
    },
    test() {
      return Promise.resolve({ ok: true });
    },
  };
}
