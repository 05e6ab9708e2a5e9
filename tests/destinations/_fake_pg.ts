/**
 * A PostgreSQL wire-protocol stand-in that asks for a password and rejects it the way a real server
 * does (SQLSTATE 28P01). Our test PostgreSQL trusts every local login, so a wrong password cannot be
 * produced there; the client library and our error mapping still run for real against this.
 */
export function fakePgRejectingPasswords(): { port: number; close(): void } {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const enc = new TextEncoder();
  function message(type: string, body: Uint8Array): Uint8Array {
    const out = new Uint8Array(5 + body.length);
    out[0] = type.charCodeAt(0);
    new DataView(out.buffer).setInt32(1, 4 + body.length);
    out.set(body, 5);
    return out;
  }
  async function serve(conn: Deno.Conn) {
    const buf = new Uint8Array(8192);
    try {
      await conn.read(buf); // startup message
      const askCleartext = new Uint8Array(4);
      new DataView(askCleartext.buffer).setInt32(0, 3);
      await conn.write(message("R", askCleartext));
      await conn.read(buf); // password message
      const fields = ["SFATAL", "VFATAL", "C28P01", 'Mpassword authentication failed for user "postgres"'];
      const body = enc.encode(fields.map((f) => `${f}\0`).join("") + "\0");
      await conn.write(message("E", body));
    } catch { /* client went away */ }
    try {
      conn.close();
    } catch { /* closed */ }
  }
  (async () => {
    try {
      for await (const conn of listener) void serve(conn);
    } catch { /* closed */ }
  })();
  return {
    port: (listener.addr as Deno.NetAddr).port,
    close: () => listener.close(),
  };
}
