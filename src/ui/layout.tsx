import type { Context } from "hono";
import { raw } from "hono/html";
import type { Child } from "hono/jsx";

// One small stylesheet inline: no external assets, readable on a phone.
const CSS = `
*{box-sizing:border-box}body{margin:0;font:16px/1.5 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;
background:#f6f7f9;color:#1d232b}main{max-width:42rem;margin:2rem auto;padding:0 1rem}
.card{background:#fff;border:1px solid #dde1e6;border-radius:10px;padding:1.5rem;margin-bottom:1rem}
h1{font-size:1.4rem;margin:0 0 1rem}h2{font-size:1.1rem}label{display:block;margin:.75rem 0 .25rem;font-weight:600}
input,select{width:100%;padding:.55rem .6rem;border:1px solid #bfc6ce;border-radius:6px;font:inherit}
button{margin-top:1rem;padding:.55rem 1.1rem;border:0;border-radius:6px;background:#2454d6;color:#fff;
font:inherit;cursor:pointer}button.secondary{background:#e8ebef;color:#1d232b}button.danger{background:#c62f2f}
.error{background:#fdecec;border:1px solid #f3b7b7;color:#8a1c1c;padding:.6rem .8rem;border-radius:6px}
.ok{background:#eaf6ec;border:1px solid #b5dfbd;padding:.6rem .8rem;border-radius:6px}
.muted{color:#5c6773;font-size:.9rem}header{background:#1d232b;color:#fff;padding:.6rem 1rem}
header a{color:#fff;text-decoration:none;font-weight:700}code{background:#eef0f3;padding:.1rem .3rem;border-radius:4px;
word-break:break-all}table{width:100%;border-collapse:collapse}td,th{text-align:left;padding:.4rem;border-bottom:1px solid #eef0f3}
header{display:flex;justify-content:space-between;align-items:center;flex-wrap:wrap;gap:.5rem}
.signout{margin:0;display:flex;align-items:center;gap:.5rem}.muted-light{color:#c9d1da;font-size:.9rem}
button.link{margin:0;padding:.2rem .5rem;background:transparent;border:1px solid #5c6773;color:#fff}
.warn{background:#fff6e0;border:1px solid #f0d089;padding:.6rem .8rem;border-radius:6px}
.badge{display:inline-block;font-size:.75rem;padding:.05rem .45rem;border-radius:999px;background:#fde7c8;color:#7a4b00;
vertical-align:middle}.choice{display:flex;gap:.5rem;align-items:flex-start;font-weight:400;margin:.4rem 0}
.choice input{width:auto;margin-top:.35rem}.row{display:flex;gap:.5rem;flex-wrap:wrap;align-items:center}
.row input{flex:1;min-width:8rem;width:auto}.row button{margin-top:0}.created{margin-bottom:1rem}
`;

/** Security headers of every page: no caching, no framing, nothing loaded from elsewhere. */
export function pageHeaders(
  c: Context,
  { formAction = "'self'", scriptNonce }: { formAction?: string | null; scriptNonce?: string } = {},
) {
  c.header("Cache-Control", "no-store");
  const script = scriptNonce ? `; script-src 'nonce-${scriptNonce}'` : "";
  const form = formAction === null ? "" : `; form-action ${formAction}`;
  c.header(
    "Content-Security-Policy",
    `default-src 'none'; style-src 'unsafe-inline'${script}${form}; frame-ancestors 'none'`,
  );
  c.header("X-Frame-Options", "DENY");
  c.header("Referrer-Policy", "no-referrer");
}

/**
 * An HTML document: the doctype (without one browsers render in quirks mode: another box model, other
 * table rules), the charset, a phone-sized viewport and the title. Every page is one.
 */
export function HtmlDocument({ title, head, children }: { title: string; head: Child; children: Child }) {
  return (
    <>
      {raw("<!DOCTYPE html>")}
      <html lang="en">
        <head>
          <meta charset="utf-8" />
          <meta name="viewport" content="width=device-width, initial-scale=1" />
          <title>{title} · Sluice</title>
          {head}
        </head>
        {children}
      </html>
    </>
  );
}

/** The page shell of Sluice's own pages; `user` shows who is signed in and a sign-out button. */
export function Layout(
  { title, children, user, csrf }: { title: string; children: Child; user?: string | null; csrf?: string },
) {
  return (
    <HtmlDocument title={title} head={<style>{CSS}</style>}>
      <body>
        <header>
          <a href="/">Sluice</a>
          {user
            ? (
              <form method="post" action="/logout" class="signout">
                <span class="muted-light">{user}</span> <input type="hidden" name="csrf" value={csrf ?? ""} />
                <button type="submit" class="link">Sign out</button>
              </form>
            )
            : null}
        </header>
        <main>{children}</main>
      </body>
    </HtmlDocument>
  );
}

/** Shortest password the pages ask for; the services enforce it (PasswordSchema in src/services/users.ts). */
const MIN_PASSWORD_LENGTH = 8;

/** The label and input of a password being chosen (setup, invite, reset, change): one wording everywhere. */
export function NewPasswordField(
  { id = "password", name = "password", label = "Password" }: { id?: string; name?: string; label?: string },
) {
  return (
    <>
      <label for={id}>{label} (at least {MIN_PASSWORD_LENGTH} characters)</label>
      <input
        id={id}
        name={name}
        type="password"
        required
        minlength={MIN_PASSWORD_LENGTH}
        autocomplete="new-password"
      />
    </>
  );
}
