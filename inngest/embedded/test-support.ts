/** Helpers shared by the embedded executor's tests. */
import canonicalize from "canonicalize";

/** Deterministic PRNG (mulberry32): the same sequence for the same seed on every run. */
export function mulberry32(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The body of a first step request (`stepId=step`, empty memo) for `event`, as the executor would
 * send it, to be signed (or not) by a test. The SDK verifies the HMAC over the canonical JSON
 * (RFC 8785) of the body it parsed.
 */
export function stepRequestBody(event: Record<string, unknown>): string {
  return canonicalize({
    event,
    events: [event],
    steps: {},
    ctx: { run_id: "forged", attempt: 0, stack: { stack: [], current: 0 } },
    version: 2,
  }) as string;
}
