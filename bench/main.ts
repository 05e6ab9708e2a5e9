/**
 * `deno task bench <name> [args...]` runs `bench/<name>.ts` in its own process (so each benchmark keeps
 * its own `import.meta.main` entry point and flags). `deno task bench` lists them.
 */
const here = new URL(".", import.meta.url);

async function available(): Promise<string[]> {
  const names: string[] = [];
  for await (const e of Deno.readDir(here)) {
    const m = /^([a-z][a-z0-9_]*)\.ts$/.exec(e.name);
    if (e.isFile && m && m[1] !== "main") names.push(m[1]);
  }
  return names.sort();
}

async function main(args: string[]): Promise<number> {
  const [name, ...rest] = args;
  const names = await available();
  if (!name || !names.includes(name)) {
    console.error(
      `${name ? `Unknown benchmark "${name}". ` : ""}Usage: deno task bench <${names.join("|")}> [args]`,
    );
    return name ? 2 : 0;
  }
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--unstable-no-legacy-abort", new URL(`${name}.ts`, here).pathname, ...rest],
    stdin: "inherit",
    stdout: "inherit",
    stderr: "inherit",
  }).spawn();
  return (await child.status).code;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
