import { timingSafeEqual } from "node:crypto";
import { TtlCache } from "../cache.ts";
import type { Clock } from "../clock.ts";
import type { Logger } from "../log.ts";
import { type ApiKeyWithUser, findApiKeyWithUser } from "../store/api_keys_repo.ts";
import type { Db, Unlisten } from "../store/db.ts";

/** NOTIFY channel on which migration 0007's triggers announce API key and user changes. */
export const AUTH_CHANNEL = "sluice_auth";

const MAX_ENTRIES = 10_000;
const encoder = new TextEncoder();

/**
 * Each instance's cache of API key rows (with the owner's identity), so an authenticated request costs
 * one query instead of two (in bench/mcp.ts's reads the key lookup was half of every REST GET).
 *
 * What is cached is the stored row, not a verdict: every request still checks its secret against the
 * row's hash (HMAC + constant-time compare) and the row's revocation and expiry against the clock.
 *
 * Staleness is what matters for security, and it is bounded three ways:
 * - the instance that revokes or edits a key forgets it before it answers (`invalidate`), so "the next
 *   call gets 401" holds exactly there;
 * - every other instance forgets it when PostgreSQL delivers the trigger's NOTIFY (at commit, in
 *   milliseconds), whoever changed the row: the REST API, `sluice apikey revoke` in another process, or
 *   hand-written SQL;
 * - no entry lives longer than API_KEY_CACHE_SECONDS, which bounds the one case the first two miss: the
 *   notification connection dropping (when it is back, the cache starts empty). Nothing is cached before
 *   the subscription is established.
 *
 * A lookup that was in flight while an invalidation happened is not cached (the generation check), so a
 * revocation cannot be overwritten by a row read just before it. Unknown ids are never cached.
 *
 * It also remembers, per cached row, the secret that last matched that row's hash (`rememberVerified`),
 * so a request presenting the byte-identical secret is checked with a constant-time compare (~2 µs)
 * instead of the HMAC (~14 µs, a tenth of a REST read's CPU). Any other secret still goes through the
 * HMAC. The secret lives only in this process's memory (where the pepper lives anyway), only as long as
 * its row is cached, and goes with the row on invalidation.
 */
export class ApiKeyCache {
  #rows = new TtlCache<ApiKeyWithUser>(MAX_ENTRIES);
  #verified = new WeakMap<ApiKeyWithUser, Uint8Array>();
  #generation = 0;
  #subscribing: Promise<void> | null = null;
  #live = false;
  #unlisten: Unlisten | null = null;
  #closed = false;

  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly ttlMs: number,
  ) {}

  /** The key row for `id`, or null when there is no such key. */
  async find(id: string): Promise<ApiKeyWithUser | null> {
    if (this.ttlMs <= 0) return await findApiKeyWithUser(this.db, id);
    this.#subscribe();
    const now = this.clock.now().getTime();
    const hit = this.#rows.get(id, now);
    if (hit) return hit.value;
    const generation = this.#generation;
    const row = await findApiKeyWithUser(this.db, id);
    if (row && this.#live && generation === this.#generation) {
      this.#rows.set(id, row, now + this.ttlMs);
    }
    return row;
  }

  /** Whether `secret` is the one that last matched this (cached) row's hash. Constant time. */
  isVerified(row: ApiKeyWithUser, secret: string): boolean {
    const known = this.#verified.get(row);
    if (!known) return false;
    const given = encoder.encode(secret);
    return given.length === known.length && timingSafeEqual(given, known);
  }

  /** Records that `secret` matched this row's hash (see the class comment). */
  rememberVerified(row: ApiKeyWithUser, secret: string) {
    if (this.ttlMs > 0) this.#verified.set(row, encoder.encode(secret));
  }

  /** Forgets one key: call after changing its row, before answering. */
  invalidate(id: string) {
    this.#generation++;
    this.#rows.delete(id);
  }

  /** Forgets every key. */
  clear() {
    this.#generation++;
    this.#rows.clear();
  }

  /** How many keys are cached (for tests). */
  get size(): number {
    return this.#rows.size;
  }

  /** Stops listening; the Db's close() would end the subscription too. */
  async close() {
    this.#closed = true;
    this.#live = false;
    this.clear();
    await this.#subscribing;
    await this.#unlisten?.();
  }

  #subscribe() {
    if (this.#subscribing || this.#closed) return;
    const onMessage = (payload: string) => payload === "*" ? this.clear() : this.invalidate(payload);
    const onListen = () => {
      // (Re)subscribed: whatever was announced while the connection was down is lost, so start empty.
      this.clear();
      this.#live = !this.#closed;
    };
    this.#subscribing = this.db.listen(AUTH_CHANNEL, onMessage, onListen).then(
      (unlisten) => {
        this.#unlisten = unlisten;
      },
      (e) => {
        // Not cached until a later request subscribes successfully.
        this.#live = false;
        this.#subscribing = null;
        this.log.warn("API key cache disabled: cannot listen for key changes", { error: String(e) });
      },
    );
  }
}
