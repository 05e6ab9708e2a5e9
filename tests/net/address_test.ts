import assert from "node:assert/strict";
import { classifyAddress, isMetadataAddress, isPublicAddress, parseIp } from "../../src/net/address.ts";

/** [address, public, metadata, what it is] for each category the classifier knows. */
const TABLE: [string, boolean, boolean, RegExp][] = [
  // IPv4
  ["8.8.8.8", true, false, /^public$/],
  ["1.1.1.1", true, false, /^public$/],
  ["93.184.216.34", true, false, /^public$/],
  ["0.0.0.0", false, false, /this network/],
  ["0.1.2.3", false, false, /this network/],
  ["10.0.0.1", false, false, /private network 10\.0\.0\.0\/8/],
  ["100.64.0.1", false, false, /carrier-grade NAT/],
  ["100.127.255.255", false, false, /carrier-grade NAT/],
  ["100.128.0.1", true, false, /^public$/],
  ["127.0.0.1", false, false, /loopback/],
  ["127.255.0.9", false, false, /loopback/],
  ["169.254.169.254", false, true, /link-local/],
  ["169.254.1.2", false, true, /link-local/],
  ["172.16.0.1", false, false, /private network 172\.16\.0\.0\/12/],
  ["172.31.255.255", false, false, /private network/],
  ["172.32.0.1", true, false, /^public$/],
  ["192.0.0.8", false, false, /IETF protocol assignments/],
  ["192.0.2.10", false, false, /documentation/],
  ["198.51.100.7", false, false, /documentation/],
  ["203.0.113.200", false, false, /documentation/],
  ["192.88.99.1", false, false, /6to4 relay anycast/],
  ["192.168.1.1", false, false, /private network 192\.168/],
  ["192.169.0.1", true, false, /^public$/],
  ["198.18.0.1", false, false, /benchmarking/],
  ["198.19.255.1", false, false, /benchmarking/],
  ["198.20.0.1", true, false, /^public$/],
  ["224.0.0.1", false, false, /multicast/],
  ["239.255.255.250", false, false, /multicast/],
  ["240.0.0.1", false, false, /reserved/],
  ["255.255.255.255", false, false, /broadcast/],
  ["100.100.100.200", false, true, /carrier-grade NAT/],
  ["168.63.129.16", true, true, /^Azure WireServer 168.63.129.16\/32$/],
  // IPv6
  ["2606:4700::1111", true, false, /^public$/],
  ["2001:4860:4860::8888", true, false, /^public$/],
  ["::", false, false, /unspecified/],
  ["::1", false, false, /loopback ::1/],
  ["[::1]", false, false, /loopback ::1/],
  ["fe80::1", false, false, /link-local fe80::\/10/],
  ["febf::1", false, false, /link-local/],
  ["fc00::1", false, false, /unique local/],
  ["fd12:3456::1", false, false, /unique local/],
  ["fd00:ec2::254", false, true, /unique local/],
  ["fec0::1", false, false, /site-local/],
  ["ff02::1", false, false, /multicast/],
  ["2001:db8::1", false, false, /documentation/],
  ["3fff::1", false, false, /documentation/],
  ["100::1", false, false, /discard-only/],
  ["2001:2::1", false, false, /benchmarking/],
  ["2001:20::1", false, false, /ORCHIDv2/],
  ["5f00::1", false, false, /SRv6/],
  ["4000::1", false, false, /outside global unicast/],
  // IPv4 inside IPv6: judged by the IPv4 address
  ["::ffff:127.0.0.1", false, false, /IPv4-mapped .* of 127\.0\.0\.1, loopback/],
  ["::ffff:7f00:1", false, false, /IPv4-mapped .* of 127\.0\.0\.1, loopback/],
  ["::FFFF:A9FE:A9FE", false, true, /IPv4-mapped .* of 169\.254\.169\.254/],
  ["::ffff:10.1.2.3", false, false, /of 10\.1\.2\.3, private network/],
  ["::ffff:8.8.8.8", true, false, /IPv4-mapped .* of 8\.8\.8\.8, public/],
  ["::ffff:808:808", true, false, /of 8\.8\.8\.8, public/],
  ["::ffff:0:10.0.0.1", false, false, /IPv4-translated .* of 10\.0\.0\.1/],
  ["::127.0.0.1", false, false, /IPv4-compatible .* of 127\.0\.0\.1/],
  ["::a9fe:a9fe", false, true, /IPv4-compatible .* of 169\.254\.169\.254/],
  ["::8.8.8.8", true, false, /IPv4-compatible .* of 8\.8\.8\.8, public/],
  ["2002:7f00:1::", false, false, /6to4 2002::\/16 of 127\.0\.0\.1, loopback/],
  ["2002:a9fe:a9fe::1", false, true, /6to4 .* of 169\.254\.169\.254/],
  ["2002:c0a8:101::1", false, false, /6to4 .* of 192\.168\.1\.1/],
  ["2002:808:808::1", true, false, /6to4 .* of 8\.8\.8\.8, public/],
  ["64:ff9b::a9fe:a9fe", false, true, /NAT64 64:ff9b::\/96 of 169\.254\.169\.254/],
  ["64:ff9b::10.0.0.1", false, false, /NAT64 .* of 10\.0\.0\.1/],
  ["64:ff9b::808:808", true, false, /NAT64 .* of 8\.8\.8\.8, public/],
  ["64:ff9b:1::808:808", false, false, /local-use NAT64 64:ff9b:1::\/48/],
  ["64:ff9b:1::a9fe:a9fe", false, true, /local-use NAT64/],
  // Teredo: the client's IPv4 address is the last 32 bits inverted (80ff:fffe -> 127.0.0.1).
  ["2001:0:4136:e378:8000:63bf:80ff:fffe", false, false, /Teredo 2001::\/32 of 127\.0\.0\.1, loopback/],
  ["2001:0:4136:e378:8000:63bf:5601:5601", false, true, /Teredo .* of 169\.254\.169\.254/],
  ["2001:0:4136:e378:8000:63bf:f7f7:f7f7", true, false, /Teredo .* of 8\.8\.8\.8, public/],
  // Not an address (odd spellings are normalised by URL parsing before they get here, see url_guard_test)
  ["0177.0.0.1", false, false, /not an IP address/],
  ["2130706433", false, false, /not an IP address/],
  ["0x7f.1", false, false, /not an IP address/],
  ["127.1", false, false, /not an IP address/],
  ["256.1.1.1", false, false, /not an IP address/],
  ["fe80::1%eth0", false, false, /not an IP address/],
  ["1:2:3:4:5:6:7:8:9", false, false, /not an IP address/],
  ["example.com", false, false, /not an IP address/],
  ["", false, false, /not an IP address/],
];

Deno.test("classifyAddress() sorts every special-purpose range, IPv4 inside IPv6 by its IPv4 address", () => {
  for (const [ip, pub, meta, kind] of TABLE) {
    const v = classifyAddress(ip);
    assert.deepEqual([v.public, v.metadata], [pub, meta], `${ip}: ${v.kind}`);
    assert.match(v.kind, kind, ip);
    assert.equal(isPublicAddress(ip), pub, ip);
    assert.equal(isMetadataAddress(ip), meta, ip);
  }
});

Deno.test("parseIp() reads IPv4, IPv6 with :: and a dotted tail, and nothing else", () => {
  assert.deepEqual([...parseIp("192.0.2.1")!], [192, 0, 2, 1]);
  assert.deepEqual([...parseIp("::ffff:192.0.2.1")!], [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 255, 255, 192, 0, 2, 1]);
  assert.deepEqual(parseIp("1:2:3:4:5:6:7:8"), parseIp("1:2:3:4:5:6:0.7.0.8"));
  assert.deepEqual(parseIp("1::8"), parseIp("1:0:0:0:0:0:0:8"));
  for (
    const bad of ["1:2:3:4:5:6:7", "1::2::3", "::g", "1.2.3", "1.2.3.4.5", "01.2.3.4", "1:2:3:4:5:6:7:8::"]
  ) {
    assert.equal(parseIp(bad), null, bad);
  }
});
