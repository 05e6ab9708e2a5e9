import assert from "node:assert/strict";
import { connectionCap } from "../../src/http/fd_limit.ts";

Deno.test("connectionCap() keeps the setting when the descriptor limit leaves room for it", () => {
  assert.deepEqual(connectionCap(4096, { limit: 65_536, open: 140 }), { cap: 4096, lowered: false });
});

Deno.test("connectionCap() lowers the cap to three quarters of the free descriptors", () => {
  // ulimit -n 1024 with the embedded store's ~140 files open: 884 free, 663 for clients, 221 for the rest.
  assert.deepEqual(connectionCap(4096, { limit: 1024, open: 140 }), { cap: 663, lowered: true });
  assert.deepEqual(connectionCap(4096, { limit: 100, open: 150 }), { cap: 1, lowered: true });
});

Deno.test("connectionCap() keeps the setting where the limit cannot be read", () => {
  assert.deepEqual(connectionCap(4096, { limit: null, open: 10 }), { cap: 4096, lowered: false });
  assert.deepEqual(connectionCap(4096, { limit: 1024, open: null }), { cap: 4096, lowered: false });
});

Deno.test({
  name: "descriptorLimit() reads the process's `ulimit -n` and openDescriptors() counts them",
  ignore: Deno.build.os !== "linux",
  async fn() {
    const code = `import { descriptorLimit, openDescriptors } from ${
      JSON.stringify(new URL("../../src/http/fd_limit.ts", import.meta.url).href)
    };
console.log(JSON.stringify({ limit: descriptorLimit(), open: openDescriptors() }));`;
    const out = await new Deno.Command("bash", {
      // Both limits: Deno raises a soft limit to the hard one when it starts (as Node does).
      args: ["-c", 'ulimit -n 777 && exec "$0" eval "$1"', Deno.execPath(), code],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    const { limit, open } = JSON.parse(new TextDecoder().decode(out.stdout));
    assert.equal(limit, 777);
    assert.ok(open > 3 && open < 777, `open descriptors: ${open}`);
  },
});
