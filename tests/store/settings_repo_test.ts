import assert from "node:assert/strict";
import type { Db } from "../../src/store/db.ts";
import { getOrInsertSetting, getSetting } from "../../src/store/settings_repo.ts";
import { STORES } from "../_helpers/db.ts";

/** The store, keeping the text of each statement that reaches it. */
function recording(db: Db) {
  const statements: string[] = [];
  const wrapped: Db = {
    ...db,
    query(text, params) {
      statements.push(text.trim().split(/\s+/)[0].toLowerCase());
      return db.query(text, params);
    },
  };
  return { db: wrapped, statements };
}

for (const s of STORES) {
  Deno.test(`[${s.name}] getOrInsertSetting() stores a missing setting and returns it`, async () => {
    const db = await s.open();
    try {
      assert.equal(await getOrInsertSetting(db, "probe:new", "first"), "first");
      assert.equal(await getSetting(db, "probe:new"), "first");
    } finally {
      await db.close();
    }
  });

  Deno.test(`[${s.name}] getOrInsertSetting() keeps a stored setting and only reads to find it`, async () => {
    const db = await s.open();
    try {
      await getOrInsertSetting(db, "probe:kept", "first");
      const { db: watched, statements } = recording(db);
      assert.equal(await getOrInsertSetting(watched, "probe:kept", "second"), "first");
      assert.deepEqual(statements, ["select"]);
      assert.equal(await getSetting(db, "probe:kept"), "first");
    } finally {
      await db.close();
    }
  });

  Deno.test(`[${s.name}] concurrent getOrInsertSetting() calls all return the one value stored`, async () => {
    const db = await s.open();
    try {
      const won = await Promise.all(
        ["a", "b", "c", "d"].map((v) => getOrInsertSetting(db, "probe:race", v)),
      );
      const stored = await getSetting(db, "probe:race");
      assert.ok(stored !== null && ["a", "b", "c", "d"].includes(stored));
      assert.deepEqual(won, [stored, stored, stored, stored]);
    } finally {
      await db.close();
    }
  });
}
