/**
 * A webhook receiver in a process of its own, for bench/backlog.ts: reads each POST's body and answers
 * `ok` at once, counting the requests; `GET /count` answers the count. Prints its port on stdout and exits
 * when stdin closes.
 */
let received = 0;
const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, async (req) => {
  if (req.method === "GET") return new Response(String(received));
  await req.arrayBuffer();
  received++;
  return new Response("ok");
});
console.log(server.addr.port);
for await (const _ of Deno.stdin.readable) {
  // Nothing is sent: the bench closes stdin when it is done.
}
Deno.exit(0);
