import type { Deps } from "../deps.ts";
import {
  clearLoginAttempts,
  findLoginAttempts,
  lockLogin,
  recordLoginFailure,
} from "../store/sessions_repo.ts";

/**
 * Login rate limit with lockout. Failures are counted per account *and client address*, so an
 * attacker elsewhere cannot lock the real user out, and every lock is short and capped (15 minutes),
 * so no one is locked out forever. A looser per-address limit slows one address guessing many accounts.
 */
export const THROTTLE = {
  windowMs: 15 * 60_000,
  accountFreeFailures: 5,
  accountBaseLockMs: 30_000,
  maxLockMs: 15 * 60_000,
  addressFreeFailures: 50,
} as const;

function keys(email: string, ip: string) {
  return { account: `acct:${email.toLowerCase()}|${ip}`, address: `ip:${ip}` };
}

/** When the login is locked for this account and address, the time it unlocks; otherwise null. */
export async function loginLockedUntil(deps: Deps, email: string, ip: string): Promise<Date | null> {
  const k = keys(email, ip);
  const now = deps.clock.now().getTime();
  let until: Date | null = null;
  for (const row of await findLoginAttempts(deps.db, [k.account, k.address])) {
    if (row.locked_until && row.locked_until.getTime() > now) {
      if (!until || row.locked_until > until) until = row.locked_until;
    }
  }
  return until;
}

/** Records a failed login; locks the account for this address (doubling, capped) after a few. */
export async function recordFailedLogin(deps: Deps, email: string, ip: string): Promise<void> {
  const k = keys(email, ip);
  const now = deps.clock.now();
  const since = new Date(now.getTime() - THROTTLE.windowMs);
  const accountFailures = await recordLoginFailure(deps.db, k.account, now, since);
  if (accountFailures >= THROTTLE.accountFreeFailures) {
    const extra = accountFailures - THROTTLE.accountFreeFailures;
    const ms = Math.min(THROTTLE.accountBaseLockMs * 2 ** Math.min(extra, 10), THROTTLE.maxLockMs);
    await lockLogin(deps.db, k.account, new Date(now.getTime() + ms));
  }
  const addressFailures = await recordLoginFailure(deps.db, k.address, now, since);
  if (addressFailures >= THROTTLE.addressFreeFailures) {
    await lockLogin(deps.db, k.address, new Date(now.getTime() + THROTTLE.maxLockMs));
  }
}

/** A successful login clears the account's failures for this address. */
export async function recordSuccessfulLogin(deps: Deps, email: string, ip: string): Promise<void> {
  await clearLoginAttempts(deps.db, keys(email, ip).account);
}
