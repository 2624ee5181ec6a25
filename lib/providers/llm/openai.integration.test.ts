import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { PlannedSegmentSchema, type Script } from "@/lib/storyboard/types";
import { createOpenAiClient } from "../clients/openai";
import { ProviderError } from "../errors";
import { type FakeModel, OPENAI_ERRORS, type OpenAiFake, startOpenAiFake } from "../fakes/openai";
import { createOpenAiLlm } from "./openai";

const SCRIPT: Script = {
  title: "Coffee",
  sections: {
    intro: "Coffee starts as a cherry on a bush. Farmers pick it by hand. The seeds become beans.",
    main: "Beans are washed and dried in the sun. Roasters heat them until they crack. Grinding opens the flavour. Hot water pulls oils and aroma out. Timing decides between bitter and sweet. A good grinder matters more than a fancy machine.",
    outro: "Now you know the path of your cup. Brew slowly and enjoy it.",
  },
};

/** A model that answers each schema like a cooperative LLM would. */
const cooperative: FakeModel = ({ schemaName, body, schema }) => {
  const count = Number(
    (
      (schema.properties as Record<string, { minItems?: number }>).prompts ??
      (schema.properties as Record<string, { minItems?: number }>).motions
    )?.minItems ?? 0,
  );
  const user = String((body.input as Array<{ content: string }>)[1]!.content);
  const indices = [...user.matchAll(/^#(\d+) /gm)].map((m) => Number(m[1]));
  if (schemaName === "video_script") {
    return {
      json: {
        title: "How coffee is brewed",
        intro: SCRIPT.sections.intro,
        main: SCRIPT.sections.main,
        outro: SCRIPT.sections.outro,
      },
    };
  }
  if (schemaName === "image_prompts") {
    expect(indices).toHaveLength(count);
    return {
      json: {
        styleGuide: "warm 35mm film, soft window light",
        prompts: indices.map((index) => ({ index, prompt: `a coffee scene number ${index}` })),
      },
    };
  }
  return { json: { motions: indices.map((index) => ({ index, motion: `slow zoom in on scene ${index}` })) } };
};

/** The part of a Responses request body the assertions read. */
interface ResponsesBody {
  model: string;
  input: Array<{ role: string; content: string }>;
  text: { format: { type: string; name: string; strict: boolean; schema: { required: string[] } } };
}

let fake: OpenAiFake;

function sent(i: number): ResponsesBody {
  return fake.requests[i]!.json as ResponsesBody;
}

beforeAll(async () => {
  fake = await startOpenAiFake({ retiredModels: ["gpt-4o-mini"] });
});
afterAll(() => fake.close());
beforeEach(() => {
  fake.requests.length = 0;
  fake.model = cooperative;
});

function llm(
  options: { maxOutputTokens?: number; apiKey?: string; model?: string; maxRetries?: number } = {},
) {
  const client = createOpenAiClient({
    apiKey: options.apiKey ?? fake.apiKey,
    baseURL: fake.baseURL,
    maxRetries: options.maxRetries ?? 0,
  });
  return createOpenAiLlm({
    client,
    model: options.model ?? "gpt-5-mini",
    maxOutputTokens: options.maxOutputTokens,
  });
}

describe("OpenAI LLM against the fake Responses API", () => {
  it("writes the script in one strict structured-output call with per-section word budgets", async () => {
    const script = await llm().writeScript({
      topic: "How coffee is brewed",
      language: "en",
      segmentCount: 10,
      segmentSeconds: 5,
    });
    expect(script).toEqual({ ...SCRIPT, title: "How coffee is brewed" });
    expect(fake.requests).toHaveLength(1);
    const body = sent(0);
    expect(fake.requests[0]!.path).toBe("/v1/responses");
    expect(fake.requests[0]!.headers.authorization).toBe(`Bearer ${fake.apiKey}`);
    expect(body.model).toBe("gpt-5-mini");
    expect(body.text.format).toMatchObject({ type: "json_schema", name: "video_script", strict: true });
    expect(body.text.format.schema.required).toEqual(["title", "intro", "main", "outro"]);
    // 10 segments → 3/5/2 (sectionCounts); 5 s × 2.5 words/s × 0.85 per segment.
    expect(body.input[1]!.content).toContain(
      "intro: introduces the topic and hooks the viewer, about 31 words",
    );
    expect(body.input[1]!.content).toContain("main: the substance, step by step, about 53 words");
    expect(body.input[0]!.content).toContain("in English");
  });

  it("plans any number of segments with exactly two calls and one shared style guide", async () => {
    const planned = await llm().planSegments({
      script: SCRIPT,
      language: "en",
      segmentCount: 12,
      segmentSeconds: 5,
    });
    expect(fake.requests).toHaveLength(2);
    expect(planned).toHaveLength(12);
    for (const [i, segment] of planned.entries()) {
      expect(PlannedSegmentSchema.parse(segment)).toEqual(segment);
      expect(segment.index).toBe(i);
      expect(segment.startSeconds).toBe(i * 5);
      expect(segment.imagePrompt).toBe(`warm 35mm film, soft window light. a coffee scene number ${i}`);
      expect(segment.motionPrompt).toBe(`slow zoom in on scene ${i}`);
    }
    const motionCall = sent(1);
    expect(motionCall.text.format.name).toBe("motion_prompts");
    expect(motionCall.input[1]!.content).toContain("image: a coffee scene number 11");
  });

  it("keeps the job's style guide verbatim", async () => {
    const planned = await llm().planSegments({
      script: SCRIPT,
      language: "en",
      segmentCount: 4,
      segmentSeconds: 5,
      styleGuide: "ink and watercolour",
    });
    expect(planned.every((s) => s.imagePrompt.startsWith("ink and watercolour. "))).toBe(true);
    expect(sent(0).input[1]!.content).toContain("use verbatim as styleGuide): ink and watercolour");
  });

  it("batches prompts only when the output would exceed the limit, and halves an incomplete batch", async () => {
    // Budget: 1000/2 = 500 tokens → (500 - 200) / 90 = 3 image prompts or 7 motion prompts per call.
    const planned = await llm({ maxOutputTokens: 1000 }).planSegments({
      script: SCRIPT,
      language: "en",
      segmentCount: 8,
      segmentSeconds: 5,
    });
    expect(planned.map((s) => s.index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    const names = fake.requests.map((_, i) => sent(i).text.format.name);
    expect(names).toEqual([
      "image_prompts",
      "image_prompts",
      "image_prompts",
      "motion_prompts",
      "motion_prompts",
    ]);
    // Later batches reuse the first batch's style guide.
    expect(sent(1).input[1]!.content).toContain("use verbatim as styleGuide): warm 35mm film");

    fake.requests.length = 0;
    const tooLong: FakeModel = (request) => {
      const answer = cooperative(request);
      if (
        "json" in answer &&
        request.schemaName === "motion_prompts" &&
        (answer.json as { motions: unknown[] }).motions.length > 2
      ) {
        return { text: "x".repeat(5000) };
      }
      return answer;
    };
    fake.model = tooLong;
    const replanned = await llm({ maxOutputTokens: 1000 }).planSegments({
      script: SCRIPT,
      language: "en",
      segmentCount: 4,
      segmentSeconds: 5,
    });
    expect(replanned.map((s) => s.motionPrompt)).toEqual(
      [0, 1, 2, 3].map((i) => `slow zoom in on scene ${i}`),
    );
    expect(fake.requests.map((_, i) => sent(i).text.format.name)).toEqual([
      "image_prompts",
      "image_prompts",
      "motion_prompts",
      "motion_prompts",
      "motion_prompts",
    ]);
  });

  it("maps a refusal to a safety error", async () => {
    fake.model = () => ({ refusal: "I can't help with that." });
    const err = await llm()
      .writeScript({ topic: "x y", language: "en", segmentCount: 3, segmentSeconds: 5 })
      .catch((e) => e);
    expect(err).toBeInstanceOf(ProviderError);
    expect(err.kind).toBe("safety");
    expect(err.message).toBe("Blocked by the provider's safety filter (OpenAI: I can't help with that.)");
  });

  it("maps a 429 to a retriable error carrying retry-after-ms, after the SDK's own retries", async () => {
    fake.script(OPENAI_ERRORS.rateLimited(2500));
    const err = await llm({ maxRetries: 0 })
      .writeScript({ topic: "coffee", language: "en", segmentCount: 3, segmentSeconds: 5 })
      .catch((e) => e);
    expect(err).toMatchObject({ kind: "retriable", status: 429, retryAfterSeconds: 2.5 });
    expect(err.message).toMatch(
      /^OpenAI is temporarily unavailable \(HTTP 429\): Rate limit reached .*; retry in 3 s$/,
    );
    // With SDK retries the second attempt succeeds (retry-after-ms honoured, 1 ms).
    fake.requests.length = 0;
    fake.script(OPENAI_ERRORS.rateLimited(1));
    await llm({ maxRetries: 1 }).writeScript({
      topic: "coffee",
      language: "en",
      segmentCount: 3,
      segmentSeconds: 5,
    });
    expect(fake.requests).toHaveLength(2);
    expect(fake.requests[1]!.headers["x-stainless-retry-count"]).toBe("1");
  });

  it("maps 500, malformed bodies and slow answers to retriable errors", async () => {
    fake.script(OPENAI_ERRORS.serverError());
    await expect(
      llm().writeScript({ topic: "coffee", language: "en", segmentCount: 3, segmentSeconds: 5 }),
    ).rejects.toMatchObject({
      kind: "retriable",
      status: 500,
      message:
        "OpenAI is temporarily unavailable (HTTP 500): The server had an error while processing your request.",
    });
    fake.script(OPENAI_ERRORS.malformed());
    await expect(
      llm().writeScript({ topic: "coffee", language: "en", segmentCount: 3, segmentSeconds: 5 }),
    ).rejects.toMatchObject({
      kind: "retriable",
    });
    fake.model = () => ({ text: '{"title": "no sections"}' });
    await expect(
      llm().writeScript({ topic: "coffee", language: "en", segmentCount: 3, segmentSeconds: 5 }),
    ).rejects.toMatchObject({
      kind: "retriable",
      message: "OpenAI is temporarily unavailable: malformed response",
    });
    fake.model = cooperative;
    fake.script({ status: 200, json: {}, delayMs: 2000 });
    const slow = createOpenAiLlm({
      client: createOpenAiClient({
        apiKey: fake.apiKey,
        baseURL: fake.baseURL,
        maxRetries: 0,
        timeoutMs: 200,
      }),
      model: "gpt-5-mini",
    });
    await expect(
      slow.writeScript({ topic: "coffee", language: "en", segmentCount: 3, segmentSeconds: 5 }),
    ).rejects.toMatchObject({
      kind: "retriable",
      message: expect.stringMatching(/^OpenAI is temporarily unavailable: Request timed out/),
    });
  });

  it("maps 401, 403 and exhausted quota to auth errors that name the setting and no secret", async () => {
    const err = await llm({ apiKey: "sk-wrong-secret" })
      .writeScript({ topic: "coffee", language: "en", segmentCount: 3, segmentSeconds: 5 })
      .catch((e) => e);
    expect(err).toMatchObject({ kind: "auth", status: 401, setting: "OPENAI_API_KEY" });
    expect(err.message).toBe(
      "OpenAI refused Kadr's access (HTTP 401): invalid_api_key; check OPENAI_API_KEY",
    );
    expect(err.message).not.toContain("sk-");
    fake.script(OPENAI_ERRORS.forbidden());
    await expect(
      llm().writeScript({ topic: "coffee", language: "en", segmentCount: 3, segmentSeconds: 5 }),
    ).rejects.toMatchObject({
      kind: "auth",
      status: 403,
    });
    fake.script(OPENAI_ERRORS.quotaExhausted());
    await expect(
      llm().writeScript({ topic: "coffee", language: "en", segmentCount: 3, segmentSeconds: 5 }),
    ).rejects.toMatchObject({
      kind: "auth",
      message: expect.stringContaining("insufficient_quota"),
    });
  });

  it("maps a retired model (404) to an invalid error with OpenAI's reason", async () => {
    await expect(
      llm({ model: "gpt-4o-mini" }).writeScript({
        topic: "coffee",
        language: "en",
        segmentCount: 3,
        segmentSeconds: 5,
      }),
    ).rejects.toMatchObject({
      kind: "invalid",
      message:
        "OpenAI rejected the request (HTTP 404): The model `gpt-4o-mini` does not exist or you do not have access to it.",
    });
  });

  it("rejects invalid input before calling OpenAI", async () => {
    await expect(
      llm().writeScript({ topic: "  ", language: "en", segmentCount: 3, segmentSeconds: 5 }),
    ).rejects.toThrow(RangeError);
    await expect(
      llm().planSegments({ script: SCRIPT, language: "en", segmentCount: 0, segmentSeconds: 5 }),
    ).rejects.toThrow(RangeError);
    expect(fake.requests).toHaveLength(0);
  });
});
