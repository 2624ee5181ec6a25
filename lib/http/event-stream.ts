/**
 * Server-sent events for one job (`GET /api/v1/jobs/:id/events`). The stream sends the job's view
 * at once, then watches the job's timeline (`job_events`) every `pollMs` inside the stream and
 * sends the view again whenever new rows appeared — stage counts and segments included — so
 * clients never poll. Frames:
 *
 * - `event: update` / `id: <last job_events id>` / `data: <JobViewJson>`;
 * - `event: end` / `data: {"status": …}` right after the update that shows a final status, then
 *   the stream closes;
 * - `: ping` comments every `heartbeatMs` so proxies keep the connection open.
 *
 * The stream stops when the client goes away (`signal` aborts or the body is cancelled).
 */
import { desc, eq } from "drizzle-orm";
import type { Db } from "@/lib/db";
import { jobEvents } from "@/lib/db/schema";
import type { JobViewJson } from "./job-json";

/** Timing of a job event stream, in milliseconds. */
export interface JobStreamTiming {
  /** How often the job's timeline is read (default 500). */
  pollMs: number;
  /** How often a keep-alive comment is sent (default 15 000). */
  heartbeatMs: number;
}

const DEFAULT_TIMING: JobStreamTiming = { pollMs: 500, heartbeatMs: 15_000 };

/** Headers of an SSE response (no caching, no proxy buffering). */
export const SSE_HEADERS: Readonly<Record<string, string>> = {
  "Content-Type": "text/event-stream; charset=utf-8",
  "Cache-Control": "no-cache, no-transform",
  Connection: "keep-alive",
  "X-Accel-Buffering": "no",
};

/** Id of the newest `job_events` row of a job (0 when it has none). */
export async function latestJobEventId(db: Db, jobId: string): Promise<number> {
  const [row] = await db
    .select({ id: jobEvents.id })
    .from(jobEvents)
    .where(eq(jobEvents.jobId, jobId))
    .orderBy(desc(jobEvents.id))
    .limit(1);
  return row?.id ?? 0;
}

/** One SSE frame. */
export function sseFrame(event: string, data: unknown, id?: number): string {
  return `${id !== undefined ? `id: ${id}\n` : ""}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

/**
 * The event stream of one job.
 * @param loadView reads the job's current view (owner already checked by the caller).
 * @param signal aborts when the client disconnects.
 */
export function jobEventStream(
  db: Db,
  jobId: string,
  loadView: () => Promise<JobViewJson>,
  signal: AbortSignal,
  timing: Partial<JobStreamTiming> = {},
): ReadableStream<Uint8Array> {
  const { pollMs, heartbeatMs } = { ...DEFAULT_TIMING, ...timing };
  const encoder = new TextEncoder();
  let stopped = false;
  let poll: ReturnType<typeof setTimeout> | undefined;
  let heartbeat: ReturnType<typeof setInterval> | undefined;
  const stop = () => {
    stopped = true;
    clearTimeout(poll);
    clearInterval(heartbeat);
  };
  return new ReadableStream<Uint8Array>({
    start(controller) {
      const send = (text: string) => {
        if (!stopped) controller.enqueue(encoder.encode(text));
      };
      const finish = () => {
        if (stopped) return;
        stop();
        controller.close();
      };
      signal.addEventListener("abort", finish, { once: true });
      heartbeat = setInterval(() => send(": ping\n\n"), heartbeatMs);
      let seen = -1;
      const tick = async () => {
        try {
          const latest = await latestJobEventId(db, jobId);
          if (latest !== seen) {
            seen = latest;
            const view = await loadView();
            send(sseFrame("update", view, latest));
            if (view.final) {
              send(sseFrame("end", { status: view.job.status }));
              finish();
              return;
            }
          }
        } catch (err) {
          send(sseFrame("error", { code: "internal", message: "Reading the job failed" }));
          console.error(`Event stream of job ${jobId} failed:`, err);
          finish();
          return;
        }
        if (!stopped) poll = setTimeout(tick, pollMs);
      };
      void tick();
    },
    cancel() {
      stop();
    },
  });
}
