/**
 * The one Inngest client. With KADR_ENGINE=embedded (default) its network calls — function sync
 * and `inngest.send()` — are routed in-process to the embedded executor, and step requests are
 * signed with a per-process signing key it shares with `serve()`. With KADR_ENGINE=inngest the
 * standard INNGEST_* variables apply (INNGEST_DEV=1, INNGEST_EVENT_KEY, INNGEST_SIGNING_KEY,
 * INNGEST_BASE_URL).
 */
import { Inngest } from "inngest";
import { embeddedClientOptions } from "./embedded/bridge";

const engine = process.env.KADR_ENGINE === "inngest" ? "inngest" : "embedded";

export const inngest = new Inngest({
  id: "kadr",
  ...(engine === "embedded" ? embeddedClientOptions() : {}),
});
