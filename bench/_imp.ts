import process from "node:process";
const pre = Deno.args.slice(1);
for (const p of pre) await import(p.startsWith(".") ? new URL("../" + p, import.meta.url).href : p);
const t = performance.now(); const c = process.cpuUsage();
const spec = Deno.args[0];
await import(spec.startsWith(".") ? new URL("../" + spec, import.meta.url).href : spec);
const c2 = process.cpuUsage(c);
console.log(`${spec.padEnd(40)} wall ${(performance.now() - t).toFixed(0).padStart(5)} cpu ${((c2.user + c2.system) / 1000).toFixed(0).padStart(5)}`);
