import assert from "node:assert/strict";
import { checkFunctionSyntax } from "../../src/resources/function_syntax.ts";
import { testApp } from "../_helpers/app.ts";
import { client, expectStatus, FUNCTION_CODE } from "./_client.ts";

Deno.test("checkFunctionSyntax() accepts ES module functions and reports line and column", async () => {
  assert.equal(await checkFunctionSyntax(FUNCTION_CODE), null);
  assert.equal(await checkFunctionSyntax("const x = 1;\nexport { x as default };"), null);
  assert.equal(await checkFunctionSyntax("import x from 'y';\nexport default (e) => x(e);"), null);
  assert.deepEqual(await checkFunctionSyntax("export default async function(e) {\n  return e +;\n}"), {
    message: "Unexpected token",
    line: 2,
    column: 13,
  });
  assert.match((await checkFunctionSyntax("function f(e) { return e }"))!.message, /^no default export/);
  // Never run: a top-level side effect does not happen while checking.
  assert.equal(await checkFunctionSyntax("globalThis.__ran = true; export default function(e) {}"), null);
  assert.equal((globalThis as { __ran?: boolean }).__ran, undefined);
});

Deno.test("a function with a syntax error is rejected at save with its line and column", async () => {
  const t = await testApp();
  try {
    const u = await t.user();
    const c = client(t, u);
    const bad = expectStatus(
      await c.cfg("POST", "function", { name: "f", code: "export default function(e) {\n  return {;\n}" }),
      400,
    );
    assert.equal(
      bad.error.message,
      "Cannot create function: code: syntax error at line 2, column 11: Unexpected token",
    );
    assert.deepEqual(bad.error.issues, [{
      path: "code",
      message: "syntax error at line 2, column 11: Unexpected token",
    }]);
    const f = expectStatus(
      await c.cfg("POST", "function", { name: "f", code: FUNCTION_CODE, draft: "export {" }),
      201,
    );
    assert.equal(f.code, FUNCTION_CODE);
    assert.equal(f.draft, "export {", "a draft is not checked");
    const upd = expectStatus(await c.cfg("PUT", `function/${f.id}`, { code: "export default (" }), 400);
    assert.match(
      upd.error.message,
      /^Cannot update function ".+": code: syntax error at line 1, column 17: /,
    );
  } finally {
    await t.close();
  }
});

Deno.test("listing functions slim or with fields leaves the code out; pagination works", async () => {
  const t = await testApp();
  try {
    const u = await t.user();
    const c = client(t, u);
    for (let i = 0; i < 3; i++) {
      expectStatus(
        await c.cfg("POST", "function", { name: `f${i}`, code: FUNCTION_CODE, slug: `f-${i}` }),
        201,
      );
    }
    const slim = expectStatus(await c.cfg("GET", "function?slim=true"), 200);
    assert.equal(slim.objects.length, 3);
    for (const o of slim.objects) {
      assert.equal(o.code, undefined);
      assert.deepEqual(Object.keys(o).sort(), [
        "createdAt",
        "id",
        "name",
        "slug",
        "type",
        "updatedAt",
        "workspaceId",
      ]);
    }
    const page = expectStatus(await c.cfg("GET", "function?fields=name&limit=2&offset=1"), 200);
    // id is always kept: it is what every other call takes.
    const ids = slim.objects.map((o: { id: string }) => o.id);
    assert.deepEqual(page, {
      objects: [{ id: ids[1], name: "f1" }, { id: ids[2], name: "f2" }],
      total: 3,
      limit: 2,
      offset: 1,
    });
    expectStatus(await c.cfg("GET", "function?limit=0"), 400);
    expectStatus(await c.cfg("GET", "function?limit=abc"), 400);
    expectStatus(await c.cfg("GET", "function?slim=maybe"), 400);
  } finally {
    await t.close();
  }
});
