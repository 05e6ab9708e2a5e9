/**
 * LISTEN on a connection of its own that comes back after any loss. postgres.js's `sql.listen()` forgets a
 * channel for good when its first re-LISTEN after a reconnect fails (the database still away: the error is
 * swallowed and the channel deleted), so a restart longer than one reconnect stopped every notification.
 * Here each loss retires the client (src/store/postgres_client.ts) and a new one subscribes every channel
 * again, retrying with backoff until it succeeds or the store closes.
 */
import { type Conn, openConn } from "./postgres_client.ts";

interface Subscription {
  onMessage(payload: string): void;
  onListen?: () => void;
}

const RETRY_MIN_MS = 250;
const RETRY_MAX_MS = 5_000;

/** Channels and their subscribers over one self-renewing connection. */
export function openListener(url: string, log: (message: string, error: unknown) => void) {
  const channels = new Map<string, Set<Subscription>>();
  let conn: Conn | null = null;
  let closed = false;
  let renewing: Promise<void> | null = null;

  function deliver(channel: string, payload: string) {
    for (const s of channels.get(channel) ?? []) s.onMessage(payload);
  }

  function quoted(channel: string) {
    return `"${channel.replaceAll('"', '""')}"`;
  }

  /** Makes a new connection and listens on every channel there, until it works or the store closes. */
  function renew(): Promise<void> {
    if (conn && !conn.lost) return Promise.resolve();
    renewing ??= (async function subscribeAll() {
      for (let delay = RETRY_MIN_MS; !closed; delay = Math.min(RETRY_MAX_MS, delay * 2)) {
        const c = openConn(url, { onnotify: deliver, onLost: lostConnection, listening: true });
        try {
          for (const ch of channels.keys()) await c.guard(c.sql.unsafe(`listen ${quoted(ch)}`));
          if (closed) {
            // The store closed while this connection was being set up: keep nothing open.
            await c.end(0).catch(() => {});
            return;
          }
          conn = c;
          for (const subs of channels.values()) for (const s of subs) s.onListen?.();
          return;
        } catch (e) {
          log("cannot listen for notifications; retrying", e);
          await c.end(0).catch(() => {});
          await new Promise((r) => Deno.unrefTimer(setTimeout(r, delay)));
        }
      }
    })().finally(() => renewing = null);
    return renewing;
  }

  // Nothing is sent on a listening connection, so a loss is noticed by its close: subscribe again at once
  // (notifications sent meanwhile are lost; onListen tells the subscribers so).
  function lostConnection() {
    if (!closed && channels.size > 0 && !renewing) renew().catch(() => {});
  }

  return {
    async listen(channel: string, sub: Subscription): Promise<() => Promise<void>> {
      // A renewal under way may already have passed this channel (or be between taking its new connection
      // and finishing): wait for it, then LISTEN on the connection it made.
      while (renewing) await renewing.catch(() => {});
      let subs = channels.get(channel);
      const first = !subs;
      if (!subs) channels.set(channel, subs = new Set());
      subs.add(sub);
      const c = conn;
      let subscribed = false;
      if (c && !c.lost && !renewing) {
        try {
          if (first) await c.guard(c.sql.unsafe(`listen ${quoted(channel)}`));
          subscribed = true;
        } catch (e) {
          if (!c.lost) throw e;
        }
      }
      if (subscribed) sub.onListen?.();
      else {
        // A new connection subscribes every channel, this one too, and calls every onListen.
        await renew();
        if (closed) throw new Error("the database is closed");
      }
      return async function unlisten() {
        subs.delete(sub);
        if (subs.size > 0 || channels.get(channel) !== subs) return;
        channels.delete(channel);
        if (conn && !conn.lost) {
          await conn.guard(conn.sql.unsafe(`unlisten ${quoted(channel)}`)).catch(() => {});
        }
      };
    },
    async close() {
      closed = true;
      await conn?.end(1);
    },
  };
}
