import { describe, expect, it } from "vitest";
import { isLoopbackAddress, isLoopbackHost, isLoopbackRequest } from "./loopback";

function request(url: string, headers: Record<string, string> = {}): Request {
  return new Request(url, { headers });
}

describe("the loopback rule", () => {
  it.each(["127.0.0.1", "127.1.2.3", "::1", "::ffff:127.0.0.1", "[::1]", "[::1]:3000", "127.0.0.1:51234"])(
    "%s is a loopback address",
    (address) => {
      expect(isLoopbackAddress(address)).toBe(true);
    },
  );

  it.each(["10.0.0.1", "192.168.1.5", "::ffff:10.0.0.1", "2001:db8::1", "1127.0.0.1", "unknown", ""])(
    "%s is not",
    (address) => {
      expect(isLoopbackAddress(address)).toBe(false);
    },
  );

  it("accepts loopback hosts with or without a port and nothing else", () => {
    for (const host of ["localhost", "localhost:3000", "127.0.0.1:3210", "[::1]:3000"]) {
      expect(isLoopbackHost(host)).toBe(true);
    }
    for (const host of ["kadr.example", "evil.localhost.example:3000", "10.0.0.2:3000", null]) {
      expect(isLoopbackHost(host)).toBe(false);
    }
  });

  it("takes a direct loopback request, including the X-Forwarded-For Next.js fills in", () => {
    expect(isLoopbackRequest(request("http://127.0.0.1:3000/api"))).toBe(true);
    expect(
      isLoopbackRequest(request("http://localhost:3000/api", { "x-forwarded-for": "::ffff:127.0.0.1" })),
    ).toBe(true);
  });

  it("refuses foreign hosts (DNS rebinding) and requests forwarded for other machines", () => {
    expect(isLoopbackRequest(request("http://127.0.0.1:3000/api", { host: "attacker.example" }))).toBe(false);
    expect(
      isLoopbackRequest(request("http://127.0.0.1/api", { "x-forwarded-for": "203.0.113.9, 127.0.0.1" })),
    ).toBe(false);
    expect(isLoopbackRequest(request("http://127.0.0.1/api", { "x-real-ip": "203.0.113.9" }))).toBe(false);
    expect(
      isLoopbackRequest(request("http://127.0.0.1/api", { forwarded: 'for="[2001:db8::1]";proto=https' })),
    ).toBe(false);
    expect(isLoopbackRequest(request("http://kadr.example/api"))).toBe(false);
  });
});
