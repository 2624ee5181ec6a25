/**
 * Concurrency limits shared by Kadr's functions (https://www.inngest.com/docs/guides/concurrency).
 * The embedded executor and a real Inngest server both read them from the function configs.
 */
import { loadEnv } from "@/lib/env";

/**
 * At most KADR_USER_STEP_CONCURRENCY (default 6) steps of one user's runs execute at once, across
 * produce-video, regenerate-segment and extend-video (`scope: "env"` with the same key shares the
 * limit between functions): one user's 48-segment job cannot take every worker while another user
 * waits. Sleeping and waiting runs hold no slot. The key is the owner id the run-starting events
 * carry; events without one share a single slot pool.
 */
export const perUserSteps = {
  scope: "env",
  key: "event.data.ownerId",
  limit: loadEnv().KADR_USER_STEP_CONCURRENCY,
} as const;
