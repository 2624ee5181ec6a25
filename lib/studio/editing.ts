/**
 * Editing services of the storyboard editor: change the script at the script gate, change a
 * segment's texts and prompts at the gate where they still matter, ask for a new take of an image
 * or clip with an optional new prompt, and put your own image in place of a rendered one.
 *
 * Every edit needs the job to wait at a gate that is not approved yet ("open"); an approved gate
 * keeps the job's status until the pipeline moves on, so the approvals table is checked too. Jobs
 * are looked up with the caller's owner id: other owners' jobs are 404 like unknown ones. Each edit
 * appends a `job_events` row, which is what live views (the SSE route) react to.
 */
import { and, eq, exists, inArray, notExists, sql } from "drizzle-orm";
import sharp from "sharp";
import { z } from "zod";
import type { Db } from "@/lib/db";
import { approvals, assets, type Gate, type Job, jobs, type Segment, segments } from "@/lib/db/schema";
import { AppError } from "@/lib/errors";
import { profileForAspect } from "@/lib/media/profile";
import { MAX_INSTRUCTION_CHARS } from "@/lib/providers/image/types";
import type { BlobStore } from "@/lib/storage";
import { CAPTION_MAX_CHARS } from "@/lib/storyboard/captions";
import { splitScript } from "@/lib/storyboard/split";
import { countWords } from "@/lib/storyboard/text";
import { type Script, SECTIONS, type Section } from "@/lib/storyboard/types";
import {
  GATE_STATUS,
  getJob,
  REGENERATION_GATE,
  type RegenerationTarget,
  recordJobEvent,
  requestRegeneration,
  type StudioDeps,
  startSegmentTake,
} from "./jobs";
import { describeZodError, MAX_SCRIPT_CHARS } from "./schemas";
import { ensureDerivedImages } from "./thumbnails";

/** Longest script title, in characters. */
export const MAX_TITLE_CHARS = 200;
/** Longest narration of one segment, in characters. */
export const MAX_NARRATION_CHARS = 1_000;
/** Longest image or motion prompt, in characters. */
export const MAX_PROMPT_CHARS = 2_000;
/** Largest accepted upload, in bytes (10 MiB); larger ones are refused with 413. */
export const MAX_UPLOAD_BYTES = 10 * 1024 * 1024;

/** A change to the script: any of the title and the three section texts. */
export const ScriptPatchSchema = z
  .object({
    title: z
      .string()
      .trim()
      .min(1, "The title is empty")
      .max(MAX_TITLE_CHARS, `The title is longer than ${MAX_TITLE_CHARS} characters`)
      .optional(),
    sections: z
      .object({
        intro: z.string().max(MAX_SCRIPT_CHARS, `The intro is longer than ${MAX_SCRIPT_CHARS} characters`),
        main: z.string().max(MAX_SCRIPT_CHARS, `The main part is longer than ${MAX_SCRIPT_CHARS} characters`),
        outro: z.string().max(MAX_SCRIPT_CHARS, `The outro is longer than ${MAX_SCRIPT_CHARS} characters`),
      })
      .partial()
      .optional(),
  })
  .refine((p) => p.title !== undefined || (p.sections && Object.keys(p.sections).length > 0), {
    message: "Nothing to change: give a title or a section text",
  });
/** `{ title?, sections?: { intro?, main?, outro? } }`. */
export type ScriptPatch = z.input<typeof ScriptPatchSchema>;

const prompt = (what: string) =>
  z
    .string()
    .trim()
    .min(1, `The ${what} is empty`)
    .max(MAX_PROMPT_CHARS, `The ${what} is longer than ${MAX_PROMPT_CHARS} characters`);

/** A change to one segment: any of its narration, caption, image prompt and motion prompt. */
export const SegmentPatchSchema = z
  .object({
    narration: z
      .string()
      .trim()
      .max(MAX_NARRATION_CHARS, `The narration is longer than ${MAX_NARRATION_CHARS} characters`)
      .refine((text) => countWords(text) > 0, "The narration has no words")
      .optional(),
    caption: z
      .string()
      .trim()
      .max(CAPTION_MAX_CHARS, `The caption is longer than ${CAPTION_MAX_CHARS} characters`)
      .optional(),
    imagePrompt: prompt("image prompt").optional(),
    motionPrompt: prompt("motion prompt").optional(),
  })
  .refine((p) => Object.values(p).some((v) => v !== undefined), {
    message: "Nothing to change: give a narration, caption, image prompt or motion prompt",
  });
/** `{ narration?, caption?, imagePrompt?, motionPrompt? }`. */
export type SegmentPatch = z.input<typeof SegmentPatchSchema>;
type SegmentField = keyof z.output<typeof SegmentPatchSchema>;

/**
 * The segment fields each gate lets a user change. At the script gate segments are not planned
 * yet: a segment there is one of `splitScript`'s preview segments, and its narration is a span of
 * the script. Image prompts matter only until images are approved, motion prompts until clips are.
 */
export const EDITABLE_AT: Readonly<Record<Gate, readonly SegmentField[]>> = {
  script: ["narration"],
  images: ["narration", "caption", "imagePrompt", "motionPrompt"],
  clips: ["narration", "caption", "motionPrompt"],
};

/** A regeneration request: what to redo and, optionally, the prompt to redo it with. */
export const RegenerateInputSchema = z.object({
  target: z.enum(["image", "clip"], { error: "target must be image or clip" }),
  prompt: prompt("prompt").optional(),
});
/** `{ target: "image" | "clip", prompt? }`. */
export type RegenerateInput = z.input<typeof RegenerateInputSchema>;

/** An instruction edit of a segment's image: `{ instruction }`, 1–500 characters after trimming. */
export const ImageEditInputSchema = z.object({
  instruction: z
    .string({ error: "instruction must be a string" })
    .trim()
    .min(1, "The instruction is empty")
    .max(MAX_INSTRUCTION_CHARS, `The instruction is longer than ${MAX_INSTRUCTION_CHARS} characters`),
});
/** `{ instruction }`. */
export type ImageEditInput = z.input<typeof ImageEditInputSchema>;

/** The result of a segment edit: the new script (script gate) or the updated segment row. */
export type SegmentEditResult = { kind: "script"; script: Script } | { kind: "segment"; segment: Segment };

/** Parses with a schema, turning a failure into AppError("bad_input") naming the problems. */
function parseInput<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const parsed = schema.safeParse(input);
  if (!parsed.success) throw new AppError("bad_input", describeZodError(parsed.error));
  return parsed.data;
}

/** The gate a status waits at, if any. */
function gateOfStatus(status: Job["status"]): Gate | null {
  const entry = Object.entries(GATE_STATUS).find(([, s]) => s === status);
  return entry ? (entry[0] as Gate) : null;
}

/** SQL condition: the job has no approval recorded for `gate`. */
function gateNotApproved(db: Db, jobId: string, gate: Gate) {
  return notExists(
    db
      .select({ one: sql`1` })
      .from(approvals)
      .where(and(eq(approvals.jobId, jobId), eq(approvals.gate, gate))),
  );
}

/**
 * The job (owned by `ownerId`) and the gate it waits at, provided that gate is not approved yet.
 * @throws AppError("not_found") for unknown and foreign jobs; AppError("conflict") otherwise.
 */
async function loadOpenGate(db: Db, jobId: string, ownerId: string): Promise<{ job: Job; gate: Gate }> {
  const job = await getJob(db, jobId, ownerId);
  const gate = gateOfStatus(job.status);
  if (!gate) {
    throw new AppError(
      "conflict",
      `The job is ${job.status.replaceAll("_", " ")}: it can be edited only while it waits for an approval`,
    );
  }
  const [approved] = await db
    .select({ id: approvals.id })
    .from(approvals)
    .where(and(eq(approvals.jobId, jobId), eq(approvals.gate, gate)));
  if (approved) throw new AppError("conflict", `The ${gate} are already approved`);
  return { job, gate };
}

/** Words in a script, all sections together. */
function scriptWords(script: Script): number {
  return SECTIONS.reduce((n, s) => n + countWords(script.sections[s]), 0);
}

/**
 * Stores a new script on a job still waiting, unapproved, at the script gate, guarded by the job's
 * version (optimistic locking), and records an "edit" event.
 * @throws AppError("bad_input") when the script has fewer words than the job has segments;
 *   AppError("conflict") when the job changed meanwhile.
 */
async function storeScript(db: Db, job: Job, script: Script, actor: string, field: string): Promise<Script> {
  const words = scriptWords(script);
  if (words < job.segmentCount) {
    throw new AppError(
      "bad_input",
      `The script has ${words} words, fewer than the ${job.segmentCount} segments: every segment needs a word`,
    );
  }
  const updated = await db
    .update(jobs)
    .set({ script, updatedAt: new Date(), version: job.version + 1 })
    .where(
      and(
        eq(jobs.id, job.id),
        eq(jobs.version, job.version),
        eq(jobs.status, GATE_STATUS.script),
        gateNotApproved(db, job.id, "script"),
      ),
    )
    .returning({ id: jobs.id });
  if (!updated.length) throw new AppError("conflict", "The job changed meanwhile: reload and edit again");
  await recordJobEvent(db, job.id, "edit", { field, actor });
  return script;
}

/**
 * Changes the script (title and/or section texts) while the job waits at the script gate.
 * @param patch `{ title?, sections?: { intro?, main?, outro? } }`, sizes as in ScriptPatchSchema.
 * @returns the stored script.
 * @throws AppError("bad_input") for an invalid patch or a script with fewer words than segments;
 *   AppError("not_found") for unknown and foreign jobs; AppError("conflict") when the job is not
 *   at an open script gate or changed meanwhile.
 */
export async function editScript(
  deps: StudioDeps,
  jobId: string,
  patch: ScriptPatch,
  actor: string,
  ownerId: string,
): Promise<Script> {
  const value = parseInput(ScriptPatchSchema, patch);
  const { job, gate } = await loadOpenGate(deps.db, jobId, ownerId);
  if (gate !== "script" || !job.script) {
    throw new AppError("conflict", "The script can be changed only while it waits for approval");
  }
  const script: Script = {
    title: value.title ?? job.script.title,
    sections: { ...job.script.sections, ...value.sections },
  };
  return storeScript(deps.db, job, script, actor, "script");
}

/** Escapes a string for use inside a RegExp. */
function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** Where `narration`'s tokens occur in `text` at or after `from`, whitespace-insensitively. */
function findSpan(text: string, narration: string, from: number): { start: number; end: number } | null {
  const tokens = narration.split(/\s+/u).filter(Boolean).map(escapeRegExp);
  if (!tokens.length) return null;
  const pattern = new RegExp(tokens.join("\\s+"), "gu");
  pattern.lastIndex = from;
  const match = pattern.exec(text);
  return match ? { start: match.index, end: match.index + match[0].length } : null;
}

/**
 * The script with preview segment `index` (as `splitScript` cuts it) reading `narration`. The
 * segment's span is replaced in place, keeping the rest of the text (line breaks included); when
 * the span cannot be located (a section merged into its neighbour), the sections are rebuilt from
 * the preview segments.
 * @throws AppError("bad_input") for an index outside the job.
 */
export function scriptWithSegmentNarration(
  job: Job,
  script: Script,
  index: number,
  narration: string,
): Script {
  const { segments: preview } = splitScript({
    script,
    segmentCount: job.segmentCount,
    segmentSeconds: job.segmentSeconds,
    language: job.language,
  });
  const target = preview[index];
  if (!Number.isInteger(index) || !target) {
    throw new AppError(
      "bad_input",
      `Segment ${index + 1} does not exist: the job has ${job.segmentCount} segments`,
    );
  }
  const text = script.sections[target.section];
  let cursor = 0;
  let span: { start: number; end: number } | null = null;
  for (const segment of preview.filter((s) => s.section === target.section)) {
    const found = findSpan(text, segment.narration, cursor);
    if (!found) {
      span = null;
      break;
    }
    if (segment.index === index) span = found;
    cursor = found.end;
  }
  if (span) {
    const sections = { ...script.sections };
    sections[target.section] = `${text.slice(0, span.start)}${narration}${text.slice(span.end)}`;
    return { ...script, sections };
  }
  const rebuilt: Record<Section, string> = { intro: "", main: "", outro: "" };
  for (const segment of preview) {
    const words = segment.index === index ? narration : segment.narration;
    rebuilt[segment.section] = rebuilt[segment.section] ? `${rebuilt[segment.section]} ${words}` : words;
  }
  return { ...script, sections: rebuilt };
}

/** Loads one segment of a job. @throws AppError("bad_input") for an index outside the job. */
async function loadSegment(db: Db, job: Job, index: number): Promise<Segment> {
  const [segment] = Number.isInteger(index)
    ? await db
        .select()
        .from(segments)
        .where(and(eq(segments.jobId, job.id), eq(segments.index, index)))
    : [];
  if (!segment) {
    throw new AppError(
      "bad_input",
      `Segment ${index + 1} does not exist: the job has ${job.segmentCount} segments`,
    );
  }
  return segment;
}

/**
 * Changes one segment's narration, caption, image prompt or motion prompt at the gate where the
 * field still matters (EDITABLE_AT). At the script gate only the narration can change, and it
 * changes the script (see `scriptWithSegmentNarration`).
 * @param index 0-based segment index.
 * @returns `{ kind: "script", script }` at the script gate, else `{ kind: "segment", segment }`.
 * @throws AppError("bad_input") for an invalid patch or index; AppError("not_found") for unknown
 *   and foreign jobs; AppError("conflict") when the job is not at an open gate, a field cannot
 *   change at this gate, or the job changed meanwhile.
 */
export async function editSegment(
  deps: StudioDeps,
  jobId: string,
  index: number,
  patch: SegmentPatch,
  actor: string,
  ownerId: string,
): Promise<SegmentEditResult> {
  const value = parseInput(SegmentPatchSchema, patch);
  const { job, gate } = await loadOpenGate(deps.db, jobId, ownerId);
  const fields = (Object.keys(value) as SegmentField[]).filter((f) => value[f] !== undefined);
  const refused = fields.filter((f) => !EDITABLE_AT[gate].includes(f));
  if (refused.length) {
    throw new AppError(
      "conflict",
      `At the ${gate} gate only ${EDITABLE_AT[gate].join(", ")} can change, not ${refused.join(", ")}`,
    );
  }
  if (gate === "script") {
    if (!job.script) throw new AppError("conflict", "The script is not written yet");
    const script = scriptWithSegmentNarration(job, job.script, index, value.narration!);
    return { kind: "script", script: await storeScript(deps.db, job, script, actor, `segment ${index}`) };
  }
  const segment = await loadSegment(deps.db, job, index);
  const [updated] = await deps.db
    .update(segments)
    .set({ ...value, updatedAt: new Date() })
    .where(
      and(
        eq(segments.id, segment.id),
        exists(
          deps.db
            .select({ one: sql`1` })
            .from(jobs)
            .where(and(eq(jobs.id, jobId), eq(jobs.status, GATE_STATUS[gate]))),
        ),
        gateNotApproved(deps.db, jobId, gate),
      ),
    )
    .returning();
  if (!updated) throw new AppError("conflict", "The job moved on meanwhile: reload");
  await recordJobEvent(deps.db, jobId, "edit", { index, fields, actor });
  return { kind: "segment", segment: updated };
}

/**
 * Asks for a new take of a segment's image (images gate) or clip (clips gate), first storing a new
 * image or motion prompt when one is given.
 * @returns the new variation number.
 * @throws AppError("bad_input") for an invalid input or index; AppError("not_found") for unknown
 *   and foreign jobs; AppError("conflict") when the job is not at the matching open gate or the
 *   segment is already being regenerated.
 */
export async function regenerateSegmentMedia(
  deps: StudioDeps,
  jobId: string,
  index: number,
  input: RegenerateInput,
  actor: string,
  ownerId: string,
): Promise<number> {
  const { target, prompt: newPrompt } = parseInput(RegenerateInputSchema, input);
  const { job, gate } = await loadOpenGate(deps.db, jobId, ownerId);
  const needed = REGENERATION_GATE[target as RegenerationTarget];
  if (gate !== needed) {
    throw new AppError(
      "conflict",
      `A ${target} can be regenerated only while the job waits for ${needed} approval`,
    );
  }
  const segment = await loadSegment(deps.db, job, index);
  const status = target === "image" ? segment.imageStatus : segment.clipStatus;
  if (status === "pending")
    throw new AppError("conflict", `Segment ${index + 1} is already being regenerated`);
  if (newPrompt !== undefined) {
    await deps.db
      .update(segments)
      .set(target === "image" ? { imagePrompt: newPrompt } : { motionPrompt: newPrompt })
      .where(eq(segments.id, segment.id));
  }
  return requestRegeneration(deps, jobId, index, target, actor, ownerId);
}

/**
 * Asks for an instruction edit of a segment's image ("make the sky red") while the job waits,
 * unapproved, at the images gate — the same rules as a regeneration: the segment goes back to
 * pending (keeping its picture until the edit replaces it), one segment's image price is reserved
 * (captured when the edited image is ready, released when the edit fails), and
 * `regenerate-segment` runs the image provider's `editImage` on the current picture.
 * @param input `{ instruction }` (ImageEditInputSchema).
 * @returns the new variation number.
 * @throws AppError("bad_input") for an invalid instruction or index; AppError("not_found") for
 *   unknown and foreign jobs; AppError("conflict") outside an open images gate, while the segment
 *   is being regenerated, or when it has no finished image; InsufficientCreditsError (402).
 */
export async function requestImageEdit(
  deps: StudioDeps,
  jobId: string,
  index: number,
  input: ImageEditInput,
  actor: string,
  ownerId: string,
): Promise<number> {
  const { instruction } = parseInput(ImageEditInputSchema, input);
  const { job, gate } = await loadOpenGate(deps.db, jobId, ownerId);
  if (gate !== "images") {
    throw new AppError("conflict", "An image can be edited only while the job waits for images approval");
  }
  const segment = await loadSegment(deps.db, job, index);
  if (segment.imageStatus === "pending")
    throw new AppError("conflict", `Segment ${index + 1} is being regenerated: wait for it to finish`);
  if (segment.imageStatus !== "ready" || !segment.imageAssetId)
    throw new AppError("conflict", `Segment ${index + 1} has no finished image to edit: regenerate it`);
  return startSegmentTake(deps, job, index, "image", actor, { instruction });
}

/** Image formats accepted for upload, by the name sharp reports. */
export type UploadImageType = "png" | "jpeg" | "webp";

/**
 * The image type by its magic bytes: PNG `89 50 4E 47 0D 0A 1A 0A`, JPEG `FF D8 FF`, WebP
 * `RIFF····WEBP`; null for anything else (the file name and declared type are never trusted).
 */
export function sniffImageType(data: Uint8Array): UploadImageType | null {
  const starts = (bytes: number[], at = 0) => bytes.every((b, i) => data[at + i] === b);
  if (starts([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return "png";
  if (starts([0xff, 0xd8, 0xff])) return "jpeg";
  if (starts([0x52, 0x49, 0x46, 0x46]) && starts([0x57, 0x45, 0x42, 0x50], 8)) return "webp";
  return null;
}

/** What `uploadSegmentImage` needs besides the studio deps. */
export interface UploadDeps extends StudioDeps {
  store: BlobStore;
}

/**
 * Replaces a segment's image with the user's own while the job waits at the images gate: the
 * upload is checked (≤ MAX_UPLOAD_BYTES, PNG/JPEG/WebP by magic bytes), turned upright (EXIF),
 * cropped to cover the job's frame (e.g. 1280×720 for 16:9, the crop centred on the most salient
 * region) and stored as a PNG asset with its grid thumbnail (./thumbnails.ts); the segment is then
 * ready with it and its variation bumped.
 * @param data the uploaded bytes.
 * @returns the updated segment row.
 * @throws AppError("too_large") over the size limit; AppError("bad_input") for other formats,
 *   undecodable images and invalid indices; AppError("not_found") for unknown and foreign jobs;
 *   AppError("conflict") when the job is not at an open images gate or the segment is being
 *   regenerated.
 */
export async function uploadSegmentImage(
  deps: UploadDeps,
  jobId: string,
  index: number,
  data: Buffer,
  actor: string,
  ownerId: string,
): Promise<Segment> {
  if (data.length > MAX_UPLOAD_BYTES) {
    throw new AppError("too_large", `The image is larger than ${MAX_UPLOAD_BYTES / 1024 / 1024} MB`);
  }
  const type = sniffImageType(data);
  if (!type) throw new AppError("bad_input", "Upload a PNG, JPEG or WebP image");
  const { job, gate } = await loadOpenGate(deps.db, jobId, ownerId);
  if (gate !== "images") {
    throw new AppError("conflict", "An image can be uploaded only while the job waits for images approval");
  }
  const segment = await loadSegment(deps.db, job, index);
  if (segment.imageStatus === "pending") {
    throw new AppError("conflict", `Segment ${index + 1} is being regenerated: wait for it to finish`);
  }
  const { width, height } = profileForAspect(job.aspect);
  let png: Buffer;
  try {
    png = await sharp(data, { failOn: "error" })
      .rotate()
      .resize(width, height, { fit: "cover", position: sharp.strategy.attention })
      .png()
      .toBuffer();
  } catch (err) {
    throw new AppError("bad_input", `The ${type.toUpperCase()} image could not be decoded`, { cause: err });
  }
  const blob = await deps.store.putBuffer(png, "image", "png");
  const cacheKey = `upload:${blob.sha256}`;
  await deps.db
    .insert(assets)
    .values({
      kind: "image",
      storageKey: blob.key,
      sha256: blob.sha256,
      mime: "image/png",
      bytes: blob.bytes,
      width,
      height,
      provider: "upload",
      cacheKey,
    })
    .onConflictDoNothing();
  const [asset] = await deps.db.select().from(assets).where(eq(assets.cacheKey, cacheKey));
  // The grid thumbnail exists before the segment shows the upload (as for rendered images).
  await ensureDerivedImages(deps, asset!);
  const [updated] = await deps.db
    .update(segments)
    .set({
      imageAssetId: asset!.id,
      imageStatus: "ready",
      imageVariation: sql`${segments.imageVariation} + 1`,
      updatedAt: new Date(),
    })
    .where(
      and(
        eq(segments.id, segment.id),
        inArray(segments.imageStatus, ["ready", "failed"]),
        gateNotApproved(deps.db, jobId, "images"),
      ),
    )
    .returning();
  if (!updated) throw new AppError("conflict", "The segment changed meanwhile: reload");
  await recordJobEvent(deps.db, jobId, "upload", { index, bytes: data.length, type, actor });
  return updated;
}
