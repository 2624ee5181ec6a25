"use client";

/**
 * A job's view kept live: read once with `GET /api/v1/jobs/:id`, then updated from the job's
 * server-sent events (`event: update` carries the whole view) until the job is final. Nothing
 * polls; EventSource reconnects by itself after a network drop.
 */
import { useCallback, useEffect, useState } from "react";
import type { JobViewJson } from "@/lib/http/job-json";
import { ApiError, messageOf } from "./api";
import { useSurface } from "./surface";

/** The hook's state: the latest view, or why there is none. */
export interface LiveJob {
  view: JobViewJson | null;
  /** Load failure: `notFound` for 404 (unknown or someone else's job). */
  error: { message: string; notFound: boolean } | null;
  /** True while the event stream is disconnected and retrying. */
  reconnecting: boolean;
  /** Replaces the view (e.g. with an action's answer) until the next event. */
  setView: (view: JobViewJson) => void;
  /** Reads the view again (after a load error). */
  reload: () => void;
}

/** Keeps `jobId`'s view live (see the module comment). */
export function useJobLive(jobId: string): LiveJob {
  const { api } = useSurface();
  const [view, setView] = useState<JobViewJson | null>(null);
  const [error, setError] = useState<LiveJob["error"]>(null);
  const [reconnecting, setReconnecting] = useState(false);
  const [attempt, setAttempt] = useState(0);

  // biome-ignore lint/correctness/useExhaustiveDependencies: `attempt` re-runs the load on reload()
  useEffect(() => {
    let source: EventSource | null = null;
    let current = true;
    setError(null);
    api
      .get(jobId)
      .then((initial) => {
        if (!current) return;
        setView(initial);
        if (initial.final) return;
        source = new EventSource(api.eventsUrl(jobId));
        source.addEventListener("update", (event) => {
          setReconnecting(false);
          setView(JSON.parse((event as MessageEvent<string>).data) as JobViewJson);
        });
        source.addEventListener("end", () => source?.close());
        source.onerror = () => setReconnecting(source?.readyState === EventSource.CONNECTING);
      })
      .catch((err) => {
        if (!current) return;
        setError({ message: messageOf(err), notFound: err instanceof ApiError && err.status === 404 });
      });
    return () => {
      current = false;
      source?.close();
    };
  }, [api, jobId, attempt]);

  const reload = useCallback(() => setAttempt((n) => n + 1), []);
  return { view, error, reconnecting, setView, reload };
}
