import assert from "node:assert/strict";
import {
  loginLockedUntil,
  recordFailedLogin,
  recordSuccessfulLogin,
  THROTTLE,
} from "../../src/auth/login_throttle.ts";
import { fakeClock } from "../../src/clock.ts";
import { testApp } from "../_helpers/app.ts";
import { STORES } from "../_helpers/db.ts";

for (const store of STORES) {
  Deno.test(`[${store.name}] login throttle: locks after ${THROTTLE.accountFreeFailures} failures, doubles, caps at 15 min, per address`, async () => {
    const clock = fakeClock(new Date("2026-03-01T00:00:00Z"));
    const t = await testApp({ db: await store.open(), clock });
    try {
      const d = t.deps;
      for (let i = 0; i < 4; i++) await recordFailedLogin(d, "a@example.com", "1.1.1.1");
      assert.equal(await loginLockedUntil(d, "a@example.com", "1.1.1.1"), null);
      await recordFailedLogin(d, "a@example.com", "1.1.1.1");
      const first = await loginLockedUntil(d, "A@example.com", "1.1.1.1");
      assert.equal(first?.getTime(), clock.now().getTime() + 30_000);
      assert.equal(
        await loginLockedUntil(d, "a@example.com", "2.2.2.2"),
        null,
        "other addresses are not locked",
      );
      await recordFailedLogin(d, "a@example.com", "1.1.1.1");
      assert.equal(
        (await loginLockedUntil(d, "a@example.com", "1.1.1.1"))?.getTime(),
        clock.now().getTime() + 60_000,
      );
      for (let i = 0; i < 10; i++) await recordFailedLogin(d, "a@example.com", "1.1.1.1");
      assert.equal(
        (await loginLockedUntil(d, "a@example.com", "1.1.1.1"))?.getTime(),
        clock.now().getTime() + THROTTLE.maxLockMs,
        "never longer than 15 minutes",
      );
      clock.advance(THROTTLE.maxLockMs + 1);
      assert.equal(await loginLockedUntil(d, "a@example.com", "1.1.1.1"), null);
      // After the window the count starts again, and a success clears it.
      clock.advance(THROTTLE.windowMs);
      await recordFailedLogin(d, "a@example.com", "1.1.1.1");
      assert.equal(await loginLockedUntil(d, "a@example.com", "1.1.1.1"), null);
      await recordSuccessfulLogin(d, "a@example.com", "1.1.1.1");
      const rows = await d.db.query("select key from login_attempts where key like 'acct:%'");
      assert.equal(rows.length, 0);
    } finally {
      await t.close();
    }
  });
}
