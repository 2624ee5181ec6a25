/**
 * Pending input without server state: when the bot needs free text for an action (the name for a
 * greeting, the prompt of an extension), it sends a prompt with a ForceReply markup
 * (https://core.telegram.org/bots/api#forcereply) whose text ends with a tag line naming the action,
 * e.g. `🔖 greet:new-year-en` or `🔖 extend:<jobId>`. The client opens a reply to that prompt; the
 * user's answer arrives as a message whose `reply_to_message` (https://core.telegram.org/bots/api#message)
 * is the prompt, so the action is read back from it — nothing is stored, any instance can serve the
 * reply, and a prompt answered days later still works.
 *
 * Prompts are sent without a parse mode, so `reply_to_message.text` is the prompt's text verbatim.
 * A message that is not a reply to one of the bot's prompts is not pending input (it is a topic).
 */
import type { ForceReply, Message } from "grammy/types";

/** What a prompt asks for: a greeting's name (`arg` = template id) or an extension's prompt (`arg` = job id). */
export type PendingKind = "greet" | "extend";

export interface PendingInput {
  kind: PendingKind;
  /** Template id for "greet", parent job id for "extend": ≤ 64 chars of [A-Za-z0-9_-]. */
  arg: string;
}

const TAG_PREFIX = "🔖 ";
const TAG_LINE = /\n🔖 (greet|extend):([A-Za-z0-9_-]{1,64})$/u;

/** The prompt text: `body`, a blank line, then the tag line. */
export function pendingPromptText(body: string, input: PendingInput): string {
  return `${body}\n\n${TAG_PREFIX}${input.kind}:${input.arg}`;
}

/**
 * The ForceReply markup of a prompt.
 * @param placeholder shown in the input field while replying (1–64 characters).
 */
export function forceReply(placeholder: string): ForceReply {
  return { force_reply: true, input_field_placeholder: placeholder.slice(0, 64) };
}

/**
 * The action a message answers, or undefined when it is not a reply to one of this bot's prompts.
 * @param message the incoming message.
 * @param botId the bot's own user id (`ctx.me.id`): replies to other users' messages are ignored.
 */
export function pendingInputOf(
  message: Pick<Message, "reply_to_message">,
  botId: number,
): PendingInput | undefined {
  const prompt = message.reply_to_message;
  if (!prompt || prompt.from?.id !== botId || typeof prompt.text !== "string") return undefined;
  const match = TAG_LINE.exec(prompt.text);
  if (!match) return undefined;
  return { kind: match[1] as PendingKind, arg: match[2]! };
}
