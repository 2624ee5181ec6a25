/**
 * HTTP Range support for serving stored media (RFC 9110 §14, https://www.rfc-editor.org/rfc/rfc9110#name-range-requests):
 * a single `bytes=start-end`, `bytes=start-` or `bytes=-suffix` range. Multi-range requests are
 * answered with the whole body (allowed by the RFC).
 */
export type ByteRange = { start: number; end: number };

/**
 * Parses a Range header against a body of `size` bytes.
 * @returns the inclusive range, `null` for no/ignored range, or `"unsatisfiable"` (→ 416).
 */
export function parseRange(header: string | null, size: number): ByteRange | null | "unsatisfiable" {
  if (!header) return null;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m) return null;
  const [, startText, endText] = m;
  if (startText === "" && endText === "") return null;
  if (startText === "") {
    const suffix = Number(endText);
    if (suffix === 0) return "unsatisfiable";
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(startText);
  const end = endText === "" ? size - 1 : Math.min(Number(endText), size - 1);
  if (start >= size || start > end) return "unsatisfiable";
  return { start, end };
}
