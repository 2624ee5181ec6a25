/**
 * Request fingerprints for shared generations: two requests with the same fingerprint want the
 * same result, so the second one subscribes to the first one's job instead of starting its own.
 */
import { createHash } from "node:crypto";
import canonicalize from "canonicalize";

/** A JSON value (what request options may contain). */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** What identifies a request's result. */
export interface FingerprintInput {
  /** What is generated, e.g. "video" or "greeting:new-year-ru". */
  kind: string;
  /** Free text the user typed (topic, name, script): normalized before hashing. */
  inputs: Record<string, string>;
  /** Exact options (segment count, seconds, aspect, voice …): hashed as given, keys in any order. */
  options: Record<string, JsonValue>;
}

/**
 * Normalizes user text so that trivially different spellings match: Unicode NFC, case-folded
 * (upper- then lower-case, so "ß" and "SS" both become "ss", "ς" and "Σ" both "σ"), trimmed, and
 * every run of whitespace collapsed to one space.
 */
export function normalizeText(text: string): string {
  return text.normalize("NFC").toUpperCase().toLowerCase().normalize("NFC").trim().replace(/\s+/gu, " ");
}

/**
 * The fingerprint of a request: hex sha256 of the canonical JSON (RFC 8785) of its kind, its
 * normalized inputs and its options. Stable across processes and key order.
 * @returns 64 lowercase hex characters.
 */
export function requestFingerprint(request: FingerprintInput): string {
  const inputs = Object.fromEntries(Object.entries(request.inputs).map(([k, v]) => [k, normalizeText(v)]));
  const canonical = canonicalize({ v: 1, kind: request.kind, inputs, options: request.options });
  return createHash("sha256")
    .update(canonical ?? "")
    .digest("hex");
}
