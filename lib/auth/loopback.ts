/**
 * The loopback rule of local single-owner mode (no TELEGRAM_BOT_TOKEN). A request counts as local
 * when all of these hold:
 *
 * 1. the `Host` header names a loopback host: `localhost`, `127.x.x.x` or `[::1]` (any port) —
 *    this also defeats DNS rebinding, where a foreign page reaches 127.0.0.1 under its own name;
 * 2. every address in `X-Forwarded-For` and `X-Real-IP` is a loopback address. Next.js fills
 *    `X-Forwarded-For` with the socket's peer address when the header is absent, so a direct
 *    loopback connection reads "127.0.0.1" / "::1" / "::ffff:127.0.0.1"; a reverse proxy appends the
 *    real client's address, which is not loopback, and the request is refused;
 * 3. there is no RFC 7239 `Forwarded` header naming a non-loopback `for=`.
 *
 * Headers can be forged by a client that reaches the server directly, so the rule is only as good
 * as the bind address: `npm run dev` / `npm start` listen on 127.0.0.1, which keeps every peer
 * local. Serving Kadr to a network requires TELEGRAM_BOT_TOKEN (Telegram sign-in).
 */

/** True for 127.0.0.0/8, ::1 and their IPv4-mapped forms. */
export function isLoopbackAddress(address: string): boolean {
  const value = address
    .trim()
    .replace(/^"|"$/g, "")
    .replace(/^\[|\](:\d+)?$/g, "")
    .toLowerCase();
  const v4 = value.replace(/^::ffff:/, "").replace(/:\d+$/, "");
  if (/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(v4)) return true;
  return value === "::1" || value === "0:0:0:0:0:0:0:1";
}

/** True when the Host header (with or without a port) names the local machine. */
export function isLoopbackHost(host: string | null): boolean {
  if (!host) return false;
  const name = host.trim().toLowerCase();
  const hostname = name.startsWith("[") ? name.slice(0, name.indexOf("]") + 1) : name.replace(/:\d+$/, "");
  return hostname === "localhost" || isLoopbackAddress(hostname);
}

/** Applies the module's rule to a request's headers. */
export function isLoopbackRequest(request: Request): boolean {
  const headers = request.headers;
  if (!isLoopbackHost(headers.get("host") ?? new URL(request.url).host)) return false;
  for (const name of ["x-forwarded-for", "x-real-ip"]) {
    const value = headers.get(name);
    if (value && !value.split(",").every(isLoopbackAddress)) return false;
  }
  const forwarded = headers.get("forwarded");
  if (forwarded) {
    for (const match of forwarded.matchAll(/for=("[^"]*"|[^;,\s]+)/gi)) {
      if (!isLoopbackAddress(match[1]!)) return false;
    }
  }
  return true;
}
