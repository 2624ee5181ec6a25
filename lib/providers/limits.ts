/**
 * Per-provider concurrency limits: at most N calls in flight to each provider kind (llm, image,
 * video, tts) in this process, whatever the executor's parallelism. Providers publish such limits
 * (e.g. concurrent generation tasks per Runway tier, requests per minute at OpenAI); a call over
 * the limit waits in FIFO order instead of failing with 429.
 *
 * The limit is held only while the provider call runs, not for the whole step: the step's local
 * work after the call (storing the file, thumbnails, database rows) no longer blocks the next
 * segment's call, so a 48-segment stage takes about ceil(48 / N) provider latencies (the `pipeline`
 * benchmark). For a remote clip job the limit covers each request (submit, check, saveClip), not
 * the task's whole life on the provider's side; a provider that caps running tasks answers 429,
 * which the step retries with backoff.
 *
 * With KADR_ENGINE=inngest and several app instances each process applies its own limit; the
 * per-user step limit of the functions (their `concurrency` key) is enforced by Inngest itself.
 */
import { loadEnv } from "@/lib/env";
import type { Providers } from "./index";

/** Calls in flight per provider kind; 0 or Infinity = no limit. */
export type ProviderLimits = { readonly [K in keyof Providers]: number };

/** KADR_LLM_CONCURRENCY, KADR_IMAGE_CONCURRENCY, KADR_VIDEO_CONCURRENCY, KADR_TTS_CONCURRENCY (default 4 each). */
export function providerLimitsFromEnv(): ProviderLimits {
  const env = loadEnv();
  return {
    llm: env.KADR_LLM_CONCURRENCY,
    image: env.KADR_IMAGE_CONCURRENCY,
    video: env.KADR_VIDEO_CONCURRENCY,
    tts: env.KADR_TTS_CONCURRENCY,
  };
}

/** A counting semaphore with a FIFO queue. */
class CallLimit {
  private readonly waiting: (() => void)[] = [];
  private running = 0;
  constructor(private readonly limit: number) {}

  /** Calls in flight right now. */
  get inFlight(): number {
    return this.running;
  }

  async run<T>(call: () => Promise<T>): Promise<T> {
    if (this.running >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.running++;
    try {
      return await call();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }
}

const LIMITED = Symbol.for("kadr.providerLimits");

/**
 * Wraps every method of each provider so at most `limits[kind]` of its calls run at once. Other
 * properties (`name`, `model`, `pollIntervalSeconds`, …) read through unchanged, and a method the
 * provider lacks stays absent (capability checks such as `isClipJobProvider` still work). A
 * provider's calls to its own methods are not counted twice: methods run bound to the original.
 * Wrapping an already wrapped set returns it unchanged.
 * @returns a new Providers object; the given one is not modified.
 */
export function limitProviderCalls(providers: Providers, limits: ProviderLimits): Providers {
  if ((providers as Providers & { [LIMITED]?: true })[LIMITED]) return providers;
  const wrap = <P extends object>(provider: P, limit: number): P => {
    if (!(limit > 0) || limit === Number.POSITIVE_INFINITY) return provider;
    const calls = new CallLimit(limit);
    return new Proxy(provider, {
      get(target, property, receiver) {
        const value = Reflect.get(target, property, receiver);
        if (typeof value !== "function") return value;
        return (...args: unknown[]) => calls.run(async () => value.apply(target, args));
      },
    });
  };
  const limited: Providers = {
    llm: wrap(providers.llm, limits.llm),
    image: wrap(providers.image, limits.image),
    video: wrap(providers.video, limits.video),
    tts: wrap(providers.tts, limits.tts),
  };
  Object.defineProperty(limited, LIMITED, { value: true });
  return limited;
}
