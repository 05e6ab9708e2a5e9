/**
 * `deno compile` cannot run here (it downloads denort), so the single executable is kept correct by
 * construction: these tests check the compile task's flags against what the code loads at run time,
 * and the Dockerfile against what the README promises.
 */
import assert from "node:assert/strict";

const root = new URL("../", import.meta.url);
const denoJson = JSON.parse(await Deno.readTextFile(new URL("deno.json", root)));
const compile: string = denoJson.tasks.compile;

function includes(): string[] {
  return [...compile.matchAll(/--include[= ](\S+)/g)].map((m) => m[1]);
}

async function* walk(dir: URL): AsyncGenerator<URL> {
  for await (const e of Deno.readDir(dir)) {
    const u = new URL(e.name + (e.isDirectory ? "/" : ""), dir);
    if (e.isDirectory) yield* walk(u);
    else if (/\.(ts|tsx)$/.test(e.name)) yield u;
  }
}

Deno.test("the compile task builds main.ts with every permission and unstable flag the server uses", () => {
  assert.match(compile, /^deno compile /);
  assert.match(compile, /--allow-all/);
  assert.match(compile, /--unstable-worker-options/, "workers are started with permissions: none");
  assert.match(compile, /--output dist\/sluice /);
  assert.match(compile, / main\.ts$/);
  assert.ok(denoJson.unstable.includes("worker-options"));
});

// `deno task` installs node_modules itself before it runs a task (nodeModulesDir "auto"), so a fresh clone's
// `deno task start` still works; in "auto" mode `deno run` would also check node_modules at each npm
// resolution while the server's modules load (0.15-0.4 s of CPU a start, docs/performance.md).
Deno.test("the start and cli tasks do not check node_modules again at run time", () => {
  assert.equal(denoJson.nodeModulesDir, "auto", "deno task and a plain deno run install what they need");
  for (const task of ["start", "cli"]) {
    assert.match(denoJson.tasks[task], /^deno run --allow-all --node-modules-dir=manual .*main\.ts\b/, task);
  }
});

Deno.test("every file the code reads or starts at run time is in the compile task's --include list", async () => {
  const inc = includes();
  let assets = 0;
  assert.ok(inc.includes("src/store/migrations"), "migrations are read from disk at start");
  for (const path of inc) await Deno.stat(new URL(path, root)); // each listed path exists
  for await (const file of walk(new URL("src/", root))) {
    const text = await Deno.readTextFile(file);
    for (const m of text.matchAll(/new Worker\(\s*new URL\(\s*"([^"]+)",\s*import\.meta\.url/g)) {
      const target = new URL(m[1], file).pathname.slice(new URL(root).pathname.length);
      assert.ok(
        inc.some((p) => target === p || target.startsWith(`${p.replace(/\/$/, "")}/`)),
        `${target} (a worker started by ${file.pathname}) must be in the compile task's --include`,
      );
    }
    for (const m of text.matchAll(/new URL\(\s*"([^"]+\.txt)",\s*import\.meta\.url/g)) {
      const target = new URL(m[1], file).pathname.slice(new URL(root).pathname.length);
      await Deno.stat(new URL(target, root));
      assert.ok(
        inc.some((p) => target === p || target.startsWith(`${p.replace(/\/$/, "")}/`)),
        `${target} (an asset read by ${file.pathname}) must be in the compile task's --include`,
      );
      assets++;
    }
  }
  assert.ok(assets >= 2, `expected the console editor and /p.js assets, found ${assets}`);
});

Deno.test("the Dockerfile compiles with the official Deno image and runs as non-root with a volume and a HEALTHCHECK", async () => {
  const df = await Deno.readTextFile(new URL("Dockerfile", root));
  assert.match(df, /^FROM denoland\/deno:2\.\S+ AS build$/m);
  assert.match(df, /deno task compile/);
  assert.match(df, /^USER (?!root)\S+$/m);
  assert.match(df, /^EXPOSE 3000$/m);
  assert.match(df, /^VOLUME \/data$/m);
  assert.match(df, /^HEALTHCHECK .*CMD \["sluice", "healthcheck"\]$/m);
  for (const m of df.matchAll(/^COPY (?!--from)(.+) \S+$/gm)) {
    for (const src of m[1].split(/\s+/)) await Deno.stat(new URL(src, root));
  }
});

Deno.test("each module imported through a non-literal specifier is embedded and installed", async () => {
  const inc = includes();
  const df = await Deno.readTextFile(new URL("Dockerfile", root));
  const install = /deno install [^\n]*(?:\\\n[^\n]*)*/.exec(df)?.[0] ?? "";
  let found = 0;
  for await (const file of walk(new URL("src/", root))) {
    const text = await Deno.readTextFile(file);
    for (const m of text.matchAll(/^const (\w+_MODULE) = "([^"]+)";$/gm)) {
      if (!text.includes(`import(${m[1]})`)) continue;
      found++;
      const target = new URL(m[2], file).pathname.slice(new URL(root).pathname.length);
      assert.ok(
        inc.includes(target),
        `${target} (${m[1]} in ${file.pathname}) must be in the compile task's --include`,
      );
      assert.ok(
        install.split(/\s+/).includes(target),
        `${target} (${
          m[1]
        }) must be an entry point of the Dockerfile's deno install, or its packages are missing`,
      );
    }
  }
  assert.ok(found >= 4, `expected the serve, server, MCP and dispatch modules, found ${found}`);
});
