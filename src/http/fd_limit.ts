/**
 * How many client connections this process can hold without running out of file descriptors. Every
 * connection is one descriptor, and so is every store file (PGlite keeps over a hundred open), database
 * connection, runner pipe and outbound delivery. When client connections take the last one, nothing else
 * can open anything: the store, the runners and the deliveries fail with "Too many open files" even
 * though the server itself keeps accepting. So the connection cap leaves a quarter of the descriptors that
 * are still free when the server starts listening to everything else.
 */

/**
 * The `RLIMIT_NOFILE` of this process, or null where it cannot be read (not Linux). Deno raises the soft
 * limit to the hard one when it starts, so this is the hard limit of whoever started it (`ulimit -Hn`).
 */
export function descriptorLimit(): number | null {
  let text: string;
  try {
    text = Deno.readTextFileSync("/proc/self/limits");
  } catch {
    return null;
  }
  // "Max open files            1024                 524288               files"
  const m = /^Max open files\s+(\S+)/m.exec(text);
  if (!m || m[1] === "unlimited") return null;
  const n = Number(m[1]);
  return Number.isFinite(n) ? n : null;
}

/** The descriptors this process has open now, or null where it cannot be counted. */
export function openDescriptors(): number | null {
  try {
    let n = 0;
    for (const _ of Deno.readDirSync("/proc/self/fd")) n++;
    return n;
  } catch {
    return null;
  }
}

/** Share of the free descriptors client connections may take; the rest stay for the store and the work. */
const CONNECTION_SHARE = 3 / 4;

/**
 * The connection cap to enforce: `configured`, lowered to three quarters of the descriptors still free
 * (`limit - open`) when both are known. Never below 1.
 */
export function connectionCap(
  configured: number,
  { limit, open }: { limit: number | null; open: number | null },
): { cap: number; lowered: boolean } {
  if (limit === null || open === null) return { cap: configured, lowered: false };
  const fits = Math.max(1, Math.floor((limit - open) * CONNECTION_SHARE));
  return fits < configured ? { cap: fits, lowered: true } : { cap: configured, lowered: false };
}
