/**
 * How often each remote clip provider should be asked about a submitted job, in seconds — kept in a
 * module without SDK imports, so the provider factory can state the hint before the SDK loads.
 * - Runway: "Consumers of this API should not expect updates more frequent than once every five
 *   seconds" (https://docs.dev.runwayml.com/api/#tag/Task-management).
 * - Veo (Vertex AI and Gemini API): an operation takes about a minute; Google's samples poll every
 *   10–20 s (https://ai.google.dev/gemini-api/docs/video).
 * - fal: the queue gives no hint (https://docs.fal.ai/model-endpoints/queue); 5 s.
 */
export const CLIP_POLL_SECONDS = {
  runway: 5,
  veo: 10,
  "veo-gemini": 10,
  fal: 5,
} as const;
