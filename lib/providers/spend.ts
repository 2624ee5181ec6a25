/**
 * Spend recording. Real clients call `reportUsage` after each billable provider answer (tokens of
 * a Responses call, one image, seconds of a finished clip, characters spoken); `withSpend` wraps a
 * provider so every method call writes one `provider_calls` row with the usage reported during
 * it, its cost from the price table, its latency and its outcome in Kadr's error classes.
 *
 * Usage travels through an AsyncLocalStorage scope opened by `withSpend`, so concurrent calls of
 * one shared provider never mix their usage, and provider interfaces need no extra parameters.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import type { Db } from "@/lib/db";
import { type ProviderCallOutcome, providerCalls } from "@/lib/db/schema/provider-calls";
import { ProviderError } from "./errors";
import { costOf, PRICES, type PriceUnit, type UnitQuantities } from "./prices";

/** Billable usage of one provider answer. */
export interface MeteredUsage {
  /** Model id as priced in `PRICES`. */
  model: string;
  quantities: UnitQuantities;
}

const meter = new AsyncLocalStorage<MeteredUsage[]>();

/**
 * Reports billable usage of the provider call in progress to the enclosing `withSpend` scope; a
 * no-op outside one (e.g. a provider used without spend recording).
 */
export function reportUsage(usage: MeteredUsage): void {
  meter.getStore()?.push(usage);
}

/** A `provider_calls` row to insert. */
export type NewProviderCall = typeof providerCalls.$inferInsert;

/**
 * Inserts one `provider_calls` row (lib/db/schema/provider-calls.ts): stage, provider, model,
 * units + unitKind, costCredits (integer) + costUsd, latencyMs, outcome, error.
 */
export async function recordProviderCall(db: Db, row: NewProviderCall): Promise<void> {
  await db.insert(providerCalls).values(row);
}

/** Pipeline stage a provider serves (the `stage` column). */
export type SpendStage = "llm" | "image" | "video" | "tts";

/** Where and for what `withSpend` records calls. */
export interface SpendContext {
  db: Db;
  stage: SpendStage;
  jobId?: string | null;
  /** 0-based segment index for per-segment stages. */
  segmentIndex?: number | null;
  /** Called when writing the row fails (the provider result is still returned); default console.warn. */
  onRecordError?: (err: unknown) => void;
}

const UNIT_KIND_ORDER: readonly PriceUnit[] = [
  "image",
  "megapixel",
  "video_second",
  "audio_second",
  "character",
];

/**
 * Units and unit kind of the row: tokens add up as "token"; otherwise the first unit present that
 * the model is priced in (`priced`), else the first unit present; `0 "call"` without usage.
 */
function unitsOf(quantities: UnitQuantities, priced: readonly string[]): { units: number; unitKind: string } {
  const tokens = (quantities.input_token ?? 0) + (quantities.output_token ?? 0);
  if (tokens > 0) return { units: tokens, unitKind: "token" };
  const present = UNIT_KIND_ORDER.filter((unit) => (quantities[unit] ?? 0) > 0);
  const kind = present.find((unit) => priced.includes(unit)) ?? present[0];
  return kind ? { units: quantities[kind]!, unitKind: kind } : { units: 0, unitKind: "call" };
}

function sumUsage(usages: MeteredUsage[]): UnitQuantities {
  const total: UnitQuantities = {};
  for (const usage of usages) {
    for (const [unit, quantity] of Object.entries(usage.quantities) as Array<[PriceUnit, number]>) {
      total[unit] = (total[unit] ?? 0) + quantity;
    }
  }
  return total;
}

function outcomeOf(err: unknown): ProviderCallOutcome {
  return err instanceof ProviderError ? err.kind : "error";
}

/** The `state` of a video `check` result (`ClipJobState`), or undefined for other results. */
function pollState(result: unknown): { state?: unknown; error?: unknown } {
  return typeof result === "object" && result !== null
    ? (result as { state?: unknown; error?: unknown })
    : {};
}

/**
 * Wraps every method of `provider` so each call records one `provider_calls` row: the usage the
 * call reported (`reportUsage`), its cost (`costOf(provider.name, model, usage)`), wall-clock
 * latency in ms, outcome "ok" or the `ProviderError` kind ("error" for anything else) and the error
 * message. Polls that return `{ state: "pending" }` without usage are not recorded; polls that
 * return `{ state: "failed", error }` are recorded with the error's outcome. Errors are
 * rethrown unchanged; a failure to write the row is reported to `onRecordError`, never thrown.
 *
 * @returns an object with the same interface (other properties pass through).
 */
export function withSpend<P extends { readonly name: string; readonly model?: string }>(
  provider: P,
  context: SpendContext,
): P {
  const record = async (usages: MeteredUsage[], startedAt: number, err: unknown): Promise<void> => {
    const quantities = sumUsage(usages);
    const model = usages[0]?.model ?? provider.model ?? null;
    const cost = costOf(provider.name, model ?? undefined, quantities);
    try {
      await recordProviderCall(context.db, {
        jobId: context.jobId ?? null,
        segmentIndex: context.segmentIndex ?? null,
        stage: context.stage,
        provider: provider.name,
        model,
        ...unitsOf(quantities, Object.keys((model && PRICES[provider.name]?.[model]) || {})),
        costCredits: cost.credits,
        costUsd: cost.usd,
        latencyMs: Math.round(performance.now() - startedAt),
        outcome: err === undefined ? "ok" : outcomeOf(err),
        error: err === undefined ? null : err instanceof Error ? err.message : String(err),
      });
    } catch (recordError) {
      (context.onRecordError ?? ((e: unknown) => console.warn("provider call not recorded:", e)))(
        recordError,
      );
    }
  };
  return new Proxy(provider, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver);
      if (typeof value !== "function") return value;
      return async (...args: unknown[]) => {
        const usages: MeteredUsage[] = [];
        const startedAt = performance.now();
        try {
          const result = await meter.run(usages, () => value.apply(target, args));
          const poll = pollState(result);
          if (poll.state === "failed") await record(usages, startedAt, poll.error);
          else if (!(poll.state === "pending" && usages.length === 0))
            await record(usages, startedAt, undefined);
          return result;
        } catch (err) {
          await record(usages, startedAt, err);
          throw err;
        }
      };
    },
  });
}
