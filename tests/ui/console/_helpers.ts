/** Request-level helpers for console pages: a signed-in user, GET a page, POST a form with its CSRF. */
import assert from "node:assert/strict";
import type { TestApp, TestUser } from "../../_helpers/app.ts";
import { sessionCookie } from "../../oauth/_helpers.ts";

export interface Signed {
  user: TestUser;
  cookie: string;
  /** The workspace's URL prefix, `/{slug or id}`. */
  base: string;
}

/** A user with a workspace (slug `slug`, when given) and a session cookie. */
export async function signedIn(t: TestApp, { slug }: { slug?: string } = {}): Promise<Signed> {
  const user = await t.user(undefined, { slug });
  return { user, cookie: await sessionCookie(t, user), base: `/${user.workspace.slug ?? user.workspace.id}` };
}

/** GETs a page; returns its status, HTML and the first CSRF token on it. */
export async function getPage(t: TestApp, cookie: string, path: string) {
  const res = await t.request(path, { headers: { cookie } });
  const html = await res.text();
  return { res, status: res.status, html, csrf: /name="csrf" value="([^"]+)"/.exec(html)?.[1] ?? "" };
}

/** POSTs a form (urlencoded) with the session cookie. */
export function postForm(t: TestApp, cookie: string, path: string, form: Record<string, string | string[]>) {
  const body = new URLSearchParams();
  for (const [k, v] of Object.entries(form)) for (const one of [v].flat()) body.append(k, one);
  return t.request(path, {
    method: "POST",
    headers: { cookie, "content-type": "application/x-www-form-urlencoded" },
    body: body.toString(),
  });
}

/** GETs `path`, asserts 200, and POSTs `form` to `action` with the page's CSRF token. */
export async function submit(
  t: TestApp,
  s: Signed,
  { from, action, form }: { from: string; action: string; form: Record<string, string | string[]> },
) {
  const page = await getPage(t, s.cookie, from);
  assert.equal(page.status, 200, page.html);
  return await postForm(t, s.cookie, action, { csrf: page.csrf, ...form });
}

/** Every `<form method="post">` action on a page, except signing out. */
export function postActions(html: string): string[] {
  return [...html.matchAll(/<form method="post" action="([^"]*)"/g)].map((m) => m[1]).filter((a) =>
    a !== "/logout"
  );
}
