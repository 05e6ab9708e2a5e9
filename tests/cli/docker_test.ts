import assert from "node:assert/strict";

const root = new URL("../../", import.meta.url);

Deno.test(".dockerignore keeps history, local stores, installs and build output out of the image's context", async () => {
  const lines = (await Deno.readTextFile(new URL(".dockerignore", root))).split("\n").map((l) => l.trim());
  for (const p of [".git", "node_modules", ".sluice", "dist", "tests", ".env"]) {
    assert.ok(lines.includes(p), `.dockerignore must list ${p}`);
  }
  const df = await Deno.readTextFile(new URL("Dockerfile", root));
  for (const m of df.matchAll(/^COPY (?!--from)(.+) \S+$/gm)) {
    for (const src of m[1].split(/\s+/)) {
      assert.ok(!lines.includes(src), `the Dockerfile copies ${src}, which .dockerignore leaves out`);
    }
  }
});

Deno.test("the Docker image listens on every interface, as a container must, while HOST defaults to loopback", async () => {
  const df = await Deno.readTextFile(new URL("Dockerfile", root));
  assert.match(df, /^ENV .*\bHOST=0\.0\.0\.0\b/m);
});
