/**
 * `GET /api/v1/greetings` → `{ templates: [{ id, language, title, description, aspect, seconds, priceCredits }] }`.
 * `POST /api/v1/greetings` with `{ templateId, name }` → the greeting request's outcome:
 * 201 `{ role: "owner" | "subscriber", jobId, charged, name }` while it is generated, 200
 * `{ role: "completed", jobId, charged, name, video: { url } }` when it exists already. Errors: 400
 * bad template or name, 402 insufficient_credits, 429 rate_limited (with Retry-After).
 */
import { z } from "zod";
import { requestGreeting } from "@/lib/greetings/greetings";
import { GREETING_TEMPLATES } from "@/lib/greetings/templates";
import { mediaUrl } from "@/lib/http/job-json";
import { withRoute } from "@/lib/http/route";

export const dynamic = "force-dynamic";
export const runtime = "nodejs";

/** The templates a user can pick. */
export const GET = withRoute(async () =>
  Response.json({
    templates: Object.values(GREETING_TEMPLATES).map((t) => ({
      id: t.id,
      language: t.language,
      title: t.title,
      description: t.description,
      aspect: t.aspect,
      seconds: t.segments.length * t.segmentSeconds,
      priceCredits: t.priceCredits,
    })),
  }),
);

/** Field validation is the service's (400 with its message); the route only insists on an object. */
const GreetingBody = z.record(z.string(), z.unknown(), { error: "The body must be a JSON object" });

/** Asks for a greeting on the dashboard channel. */
export const POST = withRoute(
  async ({ deps, ownerId, body }) => {
    const outcome = await requestGreeting(
      deps,
      ownerId,
      { templateId: String(body.templateId ?? ""), name: body.name as string },
      { channel: "dashboard" },
    );
    const base = { role: outcome.role, jobId: outcome.jobId, charged: outcome.charged, name: outcome.name };
    if (outcome.role === "completed") {
      return Response.json({ ...base, video: { url: mediaUrl(outcome.result.storageKey) } });
    }
    return Response.json(base, { status: 201 });
  },
  { body: GreetingBody },
);
