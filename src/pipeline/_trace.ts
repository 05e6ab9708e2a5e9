// TEMPORARY tracing (not committed).
export const T0 = { t: performance.now() };
export const TRACE: string[] = [];
export function tr(s: string): void {
  if (Deno.env.get("D3TRACE")) TRACE.push(`${(performance.now() - T0.t).toFixed(1)} ${s}`);
}
export function trDump(label: string): void {
  if (!Deno.env.get("D3TRACE")) return;
  Deno.writeTextFileSync(`/work/d3runs/trace_${label}.txt`, TRACE.join("\n") + "\n");
  TRACE.length = 0;
}
