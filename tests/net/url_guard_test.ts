import assert from "node:assert/strict";
import { checkUrl, FetchBlockedError, UnresolvedHostError } from "../../src/net/url_guard.ts";
import { tableResolver } from "./_helpers.ts";

const resolve = tableResolver({
  "public.example": ["93.184.216.34", "2606:4700::1111"],
  "loopback.example": ["127.0.0.1"],
  "private.example": ["192.168.1.20"],
  "cgnat.example": ["100.64.3.4"],
  "linklocal6.example": ["fe80::1"],
  "ula.example": ["fd12:3456::1"],
  "mapped.example": ["::ffff:10.0.0.1"],
  "sixtofour.example": ["2002:7f00:1::"],
  "nat64.example": ["64:ff9b::c0a8:101"],
  "teredo.example": ["2001:0:4136:e378:8000:63bf:80ff:fffe"],
  "multicast.example": ["ff02::1"],
  "mixed.example": ["93.184.216.34", "10.0.0.5"],
  "mixed6.example": ["2606:4700::1111", "::1"],
  "metadata.example": ["169.254.169.254"],
  "metadata6.example": ["::ffff:a9fe:a9fe"],
  "garbage.example": ["not-an-address"],
});
const closed = { allowPrivateNetwork: false, resolve, privateNetworkSetting: "X_ALLOW_PRIVATE" };
const open = { ...closed, allowPrivateNetwork: true };

Deno.test("checkUrl() refuses a name when any of its A/AAAA answers is non-public", async () => {
  assert.deepEqual(await checkUrl(new URL("https://public.example/x"), closed), [
    "93.184.216.34",
    "2606:4700::1111",
  ]);
  const refused: [string, RegExp][] = [
    ["loopback.example", /resolves to a non-public address \(127\.0\.0\.1: loopback/],
    ["private.example", /\(192\.168\.1\.20: private network 192\.168\.0\.0\/16\)/],
    ["cgnat.example", /carrier-grade NAT/],
    ["linklocal6.example", /link-local fe80::\/10/],
    ["ula.example", /unique local fc00::\/7/],
    ["mapped.example", /IPv4-mapped .* of 10\.0\.0\.1/],
    ["sixtofour.example", /6to4 .* of 127\.0\.0\.1/],
    ["nat64.example", /NAT64 .* of 192\.168\.1\.1/],
    ["teredo.example", /Teredo .* of 127\.0\.0\.1/],
    ["multicast.example", /multicast/],
    ["mixed.example", /\(10\.0\.0\.5: private network/],
    ["mixed6.example", /\(::1: loopback/],
  ];
  for (const [host, why] of refused) {
    await assert.rejects(checkUrl(new URL(`http://${host}/`), closed), (e) => {
      assert.ok(e instanceof FetchBlockedError && !(e instanceof UnresolvedHostError), host);
      assert.match(e.message, new RegExp(`^Cannot fetch http://${host}: ${host} resolves to a non-public`));
      assert.match(e.message, why, host);
      assert.match(e.message, /; set X_ALLOW_PRIVATE=true to allow private networks$/, host);
      return true;
    });
    await checkUrl(new URL(`http://${host}/`), open);
  }
});

Deno.test("checkUrl() refuses cloud metadata in every spelling, even where private networks are allowed", async () => {
  const urls = [
    "http://169.254.169.254/latest/meta-data/",
    "http://169.254.1.2/",
    "http://[::ffff:169.254.169.254]/",
    "http://[::ffff:a9fe:a9fe]/",
    "http://[64:ff9b::a9fe:a9fe]/",
    "http://[2002:a9fe:a9fe::]/",
    "http://[2001:0:4136:e378:8000:63bf:5601:5601]/",
    "http://[fd00:ec2::254]/",
    "http://100.100.100.200/",
    "http://2852039166/", // 169.254.169.254 as one number
    "http://0xa9.0376.43518/", // hex, octal and a 16-bit tail
    "http://metadata.example/",
    "http://metadata6.example/",
  ];
  for (const url of urls) {
    await assert.rejects(checkUrl(new URL(url), open), /cloud metadata endpoints are never allowed/, url);
  }
});

Deno.test("checkUrl() sees through decimal, octal and hex IPv4 spellings (URL parsing normalises them)", async () => {
  for (
    const url of ["http://2130706433/", "http://0177.0.0.1/", "http://0x7f.1/", "http://127.1/", "http://0/"]
  ) {
    await assert.rejects(
      checkUrl(new URL(url), closed),
      /: (127\.0\.0\.1 is a non-public address \(loopback|0\.0\.0\.0 is a non-public address \(this network)/,
      url,
    );
  }
  await assert.rejects(
    checkUrl(new URL("http://[::1]:8080/"), closed),
    /: ::1 is a non-public address \(loopback ::1\/128\)/,
  );
  await assert.rejects(
    checkUrl(new URL("http://[2002:7f00:1::]/"), closed),
    /6to4 2002::\/16 of 127\.0\.0\.1/,
  );
  assert.deepEqual(await checkUrl(new URL("http://134744072/"), closed), ["8.8.8.8"]);
});

Deno.test("checkUrl() refuses other schemes, credentials in the URL, unresolvable names and non-address answers", async () => {
  await assert.rejects(checkUrl(new URL("file:///etc/passwd"), open), /only http and https are allowed/);
  await assert.rejects(checkUrl(new URL("ftp://public.example/"), open), /only http and https/);
  await assert.rejects(checkUrl(new URL("http://u:p@public.example/"), open), /credentials/);
  await assert.rejects(checkUrl(new URL("http://gone.example/"), open), UnresolvedHostError);
  await assert.rejects(
    checkUrl(new URL("http://garbage.example/"), open),
    /non-public address \(not-an-address: not an IP address\)/,
    "a resolver answer that is no address is refused even where private networks are allowed",
  );
  await assert.rejects(
    checkUrl(new URL("http://127.0.0.1/"), { allowPrivateNetwork: false }),
    (e) => e instanceof FetchBlockedError && !e.message.includes("set "),
    "without a setting to name, the refusal names none",
  );
});
