/** Query schema of `GET /api/v1/runs` and the JSON shapes of the runs API (dates as ISO strings). */
import { z } from "zod";
import type { RunDetail, RunSummary } from "@/inngest/embedded/runs";
import type { Serialized } from "./job-json";

export const getRunsFilterSchema = z
  .object({
    function: z.string().max(200).optional(),
    status: z.enum(["running", "waiting", "completed", "failed", "cancelled"]).optional(),
    limit: z.coerce.number().int().min(1).max(200).optional(),
  })
  .transform(({ function: functionId, ...rest }) => ({ functionId, ...rest }));

export type RunSummaryJson = Serialized<RunSummary>;
export type RunDetailJson = Omit<Serialized<RunDetail>, "steps" | "waits"> & {
  steps: Serialized<RunDetail["steps"][number]>[];
  waits: Serialized<RunDetail["waits"][number]>[];
};
