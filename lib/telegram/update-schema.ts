/**
 * The zod schema of the Telegram updates Kadr's bot reads (https://core.telegram.org/bots/api#update),
 * checked at the webhook boundary before grammY sees the update. Only the fields the bot's handlers
 * read are checked, with the types the Bot API documents; every other field passes through untouched,
 * so a new Bot API field never makes a real update fail. A body that fails this check is not an
 * update Telegram could send (a forged or broken request): it gets 400 instead of a handler crash.
 */
import { z } from "zod";

const TelegramInteger = z.number().int();

/** https://core.telegram.org/bots/api#user */
const UserSchema = z.looseObject({
  id: TelegramInteger,
  is_bot: z.boolean().optional(),
  first_name: z.string().optional(),
  username: z.string().optional(),
  language_code: z.string().optional(),
});

/** https://core.telegram.org/bots/api#chat */
const ChatSchema = z.looseObject({ id: TelegramInteger, type: z.string() });

/** https://core.telegram.org/bots/api#successfulpayment */
const SuccessfulPaymentSchema = z.looseObject({
  currency: z.string(),
  total_amount: TelegramInteger,
  invoice_payload: z.string(),
  telegram_payment_charge_id: z.string(),
});

/** https://core.telegram.org/bots/api#message (the fields the bot reads). */
const MessageSchema = z.looseObject({
  message_id: TelegramInteger,
  chat: ChatSchema,
  from: UserSchema.optional(),
  text: z.string().optional(),
  successful_payment: SuccessfulPaymentSchema.optional(),
  get reply_to_message() {
    return MessageSchema.optional();
  },
});

/** https://core.telegram.org/bots/api#callbackquery */
const CallbackQuerySchema = z.looseObject({
  id: z.string(),
  from: UserSchema,
  data: z.string().optional(),
  message: MessageSchema.optional(),
});

/** https://core.telegram.org/bots/api#precheckoutquery */
const PreCheckoutQuerySchema = z.looseObject({
  id: z.string(),
  from: UserSchema,
  currency: z.string(),
  total_amount: TelegramInteger,
  invoice_payload: z.string(),
});

/** An update as the bot reads it; unknown update kinds pass (grammY ignores what no handler takes). */
export const TelegramUpdateSchema = z.looseObject({
  update_id: TelegramInteger,
  message: MessageSchema.optional(),
  edited_message: MessageSchema.optional(),
  callback_query: CallbackQuerySchema.optional(),
  pre_checkout_query: PreCheckoutQuerySchema.optional(),
});

/**
 * Checks a parsed JSON body against TelegramUpdateSchema.
 * @returns null for a valid update, else one line naming the first wrong field (e.g.
 *   "message.text: expected string, received number").
 */
export function updateProblem(body: unknown): string | null {
  const parsed = TelegramUpdateSchema.safeParse(body);
  if (parsed.success) return null;
  const issue = parsed.error.issues[0]!;
  const where = issue.path.length ? issue.path.join(".") : "update";
  return `${where}: ${issue.message}`;
}
