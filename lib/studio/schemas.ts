/**
 * Input schemas of the studio services, shared by the CLI, the HTTP API and the bot. Limits here are
 * the product's limits; every violation message names the field and the allowed range.
 */
import { z } from "zod";

export const MAX_TOPIC_CHARS = 2_000;
export const MAX_SCRIPT_CHARS = 50_000;
export const SEGMENT_COUNT_RANGE = { min: 1, max: 60 } as const;
export const SEGMENT_SECONDS_RANGE = { min: 2, max: 10 } as const;

export const AspectSchema = z.enum(["16:9", "9:16", "1:1"], {
  error: (issue) => `Unknown aspect ${JSON.stringify(issue.input)}: use 16:9, 9:16 or 1:1`,
});
export const JobLanguageSchema = z.enum(["ru", "en"], {
  error: (issue) => `Unknown language ${JSON.stringify(issue.input)}: use ru or en`,
});

/** What a user submits to start a job: a topic, or a pasted script (exactly one of them). */
export const CreateJobInputSchema = z
  .object({
    topic: z
      .string()
      .trim()
      .min(1, "The topic is empty: write what the video is about")
      .max(MAX_TOPIC_CHARS, `The topic is longer than ${MAX_TOPIC_CHARS} characters`)
      .optional(),
    scriptText: z
      .string()
      .trim()
      .min(1, "The script is empty")
      .max(MAX_SCRIPT_CHARS, `The script is longer than ${MAX_SCRIPT_CHARS} characters`)
      .optional(),
    segmentCount: z
      .number({ error: "segments must be a whole number" })
      .int("segments must be a whole number")
      .min(
        SEGMENT_COUNT_RANGE.min,
        `segments must be between ${SEGMENT_COUNT_RANGE.min} and ${SEGMENT_COUNT_RANGE.max}`,
      )
      .max(
        SEGMENT_COUNT_RANGE.max,
        `segments must be between ${SEGMENT_COUNT_RANGE.min} and ${SEGMENT_COUNT_RANGE.max}`,
      )
      .default(10),
    segmentSeconds: z
      .number({ error: "segment seconds must be a number" })
      .min(
        SEGMENT_SECONDS_RANGE.min,
        `segment seconds must be between ${SEGMENT_SECONDS_RANGE.min} and ${SEGMENT_SECONDS_RANGE.max}`,
      )
      .max(
        SEGMENT_SECONDS_RANGE.max,
        `segment seconds must be between ${SEGMENT_SECONDS_RANGE.min} and ${SEGMENT_SECONDS_RANGE.max}`,
      )
      .default(5),
    aspect: AspectSchema.default("16:9"),
    /** Narration language; detected from the text (Cyrillic → ru) when absent. */
    language: JobLanguageSchema.optional(),
  })
  .refine((v) => (v.topic ? 1 : 0) + (v.scriptText ? 1 : 0) === 1, {
    message: "Give either a topic or a script, not both and not neither",
  });

export type CreateJobInput = z.input<typeof CreateJobInputSchema>;
export type ValidCreateJobInput = z.output<typeof CreateJobInputSchema>;

/** Formats a ZodError as one line per problem, without paths the user never typed. */
export function describeZodError(error: z.ZodError): string {
  return error.issues.map((issue) => issue.message).join("; ");
}
