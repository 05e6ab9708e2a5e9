/**
 * A webhook receiver in a process of its own, for bench/webhook.ts: reads each request's body and answers
 * `ok` at once; prints its port on stdout and exits when stdin closes.
 */
const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, async (req) => {
  await req.arrayBuffer();
  return new Response("ok");
});
console.log(server.addr.port);
for await (const _ of Deno.stdin.readable) {
  // Nothing is sent: the bench closes stdin when it is done.
}
Deno.exit(0);
