/**
 * A strict local stand-in for the Telegram Bot API (https://core.telegram.org/bots/api) for tests:
 * a node:http server on 127.0.0.1 (random port) answering `POST /bot<token>/<method>` with JSON or
 * multipart/form-data bodies, exactly the requests grammY makes when `client.apiRoot` points here.
 *
 * It records every call (method, parameters, uploaded files, arrival time) and applies the checks
 * Telegram applies to the methods Kadr uses: text 1–4096 and caption ≤ 1024 characters (counted
 * after entity parsing), HTML parse errors with parse_mode=HTML, "message is not modified" on
 * identical edits, uploads over 50 MB → 413, known file_ids only, reply_markup shape (HTTPS-only
 * web_app URLs, callback_data ≤ 64 bytes), callback queries answered once. It answers with
 * realistic Message objects (message_id increasing per chat, video file_id / file_unique_id), and
 * can be told to fail the next call of a method, e.g. with 429 and parameters.retry_after.
 *
 * Payments in Telegram Stars (https://core.telegram.org/bots/payments-stars): sendInvoice is checked
 * as https://core.telegram.org/bots/api#sendinvoice documents it — title 1–32 and description 1–255
 * characters, payload 1–128 bytes, a 3-letter currency, prices of whole positive amounts; for
 * currency "XTR" provider_token must be empty or absent, prices must hold exactly one item and tips
 * are refused; an inline keyboard must start with a `pay` button. answerPreCheckoutQuery
 * (https://core.telegram.org/bots/api#answerprecheckoutquery) accepts each injected query once, and
 * `error_message` is required with ok = false. `preCheckoutUpdate` / `successfulPaymentUpdate`
 * build the updates Telegram sends while the user pays. Error texts follow Telegram's where known
 * (STARS_INVOICE_INVALID, INVOICE_PAYLOAD_INVALID) and are descriptive otherwise.
 *
 * Long polling (https://core.telegram.org/bots/api#getupdates): `enqueue(update)` queues an update;
 * getUpdates returns queued updates with update_id ≥ offset (a positive offset confirms and forgets
 * the earlier ones, a negative one keeps only the last −offset), at most `limit` (1–100, default
 * 100), and with `timeout` > 0 holds the request up to that many seconds until an update arrives.
 * A second concurrent getUpdates ends the first with 409 "terminated by other getUpdates request";
 * getUpdates while a webhook is set (setWebhook with a url) answers 409 as Telegram does.
 */
import { randomBytes } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";

/** A file sent as a multipart part. */
export interface FakeUpload {
  /** The multipart part name (grammY uses a random id referenced as `attach://<id>`). */
  partName: string;
  filename: string;
  bytes: number;
}

/** One request the fake received. */
export interface RecordedCall {
  method: string;
  /** Parameters, with JSON-encoded multipart fields (reply_markup, media) decoded. */
  params: Record<string, unknown>;
  /** True when the body was multipart/form-data (a file upload). */
  multipart: boolean;
  uploads: FakeUpload[];
  /** Arrival time, ms since the epoch. */
  at: number;
  /** The answer: `{ ok: true, result }` or `{ ok: false, error_code, description, parameters? }`. */
  response: BotApiResponse;
}

export type BotApiResponse =
  | { ok: true; result: unknown }
  | { ok: false; error_code: number; description: string; parameters?: { retry_after?: number } };

/** A message the fake has sent on the bot's behalf, as it currently reads. */
export interface FakeMessage {
  message_id: number;
  chatId: number;
  text?: string;
  /** "HTML" when the text was sent with that parse mode (its `text` is then the HTML source). */
  parseMode?: "HTML";
  caption?: string;
  /** Normalized reply markup (JSON text) for the "not modified" comparison. */
  replyMarkup?: string;
  video?: { file_id: string; file_unique_id: string; file_size: number };
  invoice?: {
    title: string;
    description: string;
    start_parameter: string;
    currency: string;
    total_amount: number;
  };
  photo?: { file_id: string; file_unique_id: string; width: number; height: number; file_size?: number }[];
}

export interface FakeBotApiOptions {
  token?: string;
  username?: string;
  /** Upload limit in bytes (Telegram's hosted Bot API: 50 MB). */
  maxUploadBytes?: number;
  /** Port on 127.0.0.1 (default: a random free one); e2e servers are configured with a fixed one. */
  port?: number;
}

interface StoredFile {
  fileId: string;
  fileUniqueId: string;
  kind: "video" | "photo";
  bytes: number;
}

class TelegramError extends Error {
  constructor(
    readonly code: number,
    readonly description: string,
  ) {
    super(description);
  }
}

const badRequest = (text: string) => new TelegramError(400, `Bad Request: ${text}`);

/** Tags Telegram's HTML parse mode accepts (https://core.telegram.org/bots/api#html-style). */
const HTML_TAGS = new Set([
  "b",
  "strong",
  "i",
  "em",
  "u",
  "ins",
  "s",
  "strike",
  "del",
  "span",
  "tg-spoiler",
  "a",
  "tg-emoji",
  "code",
  "pre",
  "blockquote",
]);
const NAMED_ENTITIES: Record<string, string> = { lt: "<", gt: ">", amp: "&", quot: '"' };
const CHAT_ACTIONS = new Set([
  "typing",
  "upload_photo",
  "record_video",
  "upload_video",
  "record_voice",
  "upload_voice",
  "upload_document",
  "choose_sticker",
  "find_location",
  "record_video_note",
  "upload_video_note",
]);
const INLINE_BUTTON_ACTIONS = [
  "url",
  "callback_data",
  "web_app",
  "login_url",
  "switch_inline_query",
  "switch_inline_query_current_chat",
  "switch_inline_query_chosen_chat",
  "copy_text",
  "callback_game",
  "pay",
];
const JSON_FIELDS = new Set([
  "reply_markup",
  "media",
  "menu_button",
  "commands",
  "link_preview_options",
  "prices",
  "suggested_tip_amounts",
  "allowed_updates",
]);

/** A user as the update builders take it (a private chat with the bot has the user's id). */
export interface FakeUser {
  id: number;
  first_name?: string;
  language_code?: string;
}

/** What a paid invoice carries into pre_checkout_query and successful_payment. */
export interface FakeInvoicePayment {
  currency: string;
  /** In the smallest units of the currency; whole Stars for XTR. */
  total_amount: number;
  invoice_payload: string;
}

/** A queued update (the shape Telegram sends; only update_id is looked at). */
export type FakeUpdate = { update_id: number } & Record<string, unknown>;

/** A getUpdates request held open by its `timeout`. */
interface PendingPoll {
  wake: () => void;
  terminate: () => void;
}

/**
 * Parses Telegram-flavoured HTML and returns the visible text.
 * @throws TelegramError 400 "can't parse entities: …" for unsupported, unclosed or mismatched tags.
 */
export function plainTextOfHtml(html: string): string {
  const open: string[] = [];
  let plain = "";
  let i = 0;
  const offset = (at: number) => Buffer.byteLength(html.slice(0, at));
  const fail = (text: string) => badRequest(`can't parse entities: ${text}`);
  while (i < html.length) {
    const ch = html[i]!;
    if (ch === "<") {
      const end = html.indexOf(">", i);
      if (end < 0) throw fail(`Unclosed start tag at byte offset ${offset(i)}`);
      const body = html.slice(i + 1, end);
      if (body.startsWith("/")) {
        const name = body.slice(1).trim().toLowerCase();
        const expected = open.pop();
        if (expected === undefined) throw fail(`Unexpected end tag at byte offset ${offset(i)}`);
        if (name !== expected) {
          throw fail(
            `Unmatched end tag at byte offset ${offset(i)}, expected "</${expected}>", found "</${name}>"`,
          );
        }
      } else {
        const name = (/^[a-zA-Z][a-zA-Z0-9-]*/.exec(body)?.[0] ?? "").toLowerCase();
        if (!HTML_TAGS.has(name)) throw fail(`Unsupported start tag "${name}" at byte offset ${offset(i)}`);
        if (name === "span" && !/class\s*=\s*"tg-spoiler"/.test(body)) {
          throw fail(`Tag "span" must have class "tg-spoiler" at byte offset ${offset(i)}`);
        }
        open.push(name);
      }
      i = end + 1;
    } else if (ch === "&") {
      const entity = /^&(#x[0-9a-fA-F]+|#[0-9]+|[a-zA-Z]+);/.exec(html.slice(i));
      const name = entity?.[1];
      if (name?.startsWith("#x")) plain += String.fromCodePoint(Number.parseInt(name.slice(2), 16));
      else if (name?.startsWith("#")) plain += String.fromCodePoint(Number.parseInt(name.slice(1), 10));
      else if (name && NAMED_ENTITIES[name]) plain += NAMED_ENTITIES[name];
      else {
        plain += "&";
        i += 1;
        continue;
      }
      i += entity![0].length;
    } else {
      plain += ch;
      i += 1;
    }
  }
  const unclosed = open.pop();
  if (unclosed) throw fail(`Can't find end tag corresponding to start tag "${unclosed}"`);
  return plain;
}

/** Splits a multipart/form-data body into fields and files (grammY's part headers are minimal). */
function parseMultipart(
  body: Buffer,
  boundary: string,
): { fields: Record<string, string>; files: Map<string, FakeUpload> } {
  const fields: Record<string, string> = {};
  const files = new Map<string, FakeUpload>();
  const delimiter = Buffer.from(`--${boundary}`);
  let start = body.indexOf(delimiter);
  while (start >= 0) {
    const partStart = start + delimiter.length;
    if (body.subarray(partStart, partStart + 2).toString() === "--") break;
    const next = body.indexOf(delimiter, partStart);
    if (next < 0) break;
    const part = body.subarray(partStart + 2, next - 2);
    const headerEnd = part.indexOf("\r\n\r\n");
    const headers = part.subarray(0, headerEnd).toString();
    const content = part.subarray(headerEnd + 4);
    const name = /name="([^"]*)"/i.exec(headers)?.[1] ?? "";
    const filename = /filename="?([^";\r\n]*)"?/i.exec(headers)?.[1];
    if (filename !== undefined) files.set(name, { partName: name, filename, bytes: content.length });
    else fields[name] = content.toString("utf8");
    start = next;
  }
  return { fields, files };
}

/** A strict fake Telegram Bot API server; see the module comment. */
export class FakeBotApi {
  readonly calls: RecordedCall[] = [];
  readonly token: string;
  readonly username: string;
  readonly botId: number;
  readonly maxUploadBytes: number;
  private server: http.Server | undefined;
  private port = 0;
  private readonly nextMessageId = new Map<number, number>();
  private readonly messages = new Map<string, FakeMessage>();
  private readonly files = new Map<string, StoredFile>();
  private readonly pendingCallbackQueries = new Set<string>();
  private readonly pendingPreCheckoutQueries = new Set<string>();
  private readonly failures = new Map<string, BotApiResponse[]>();
  private nextUpdateId = 1;
  private readonly updateQueue: FakeUpdate[] = [];
  private pendingPoll: PendingPoll | undefined;
  private webhookUrl = "";
  private closed = false;

  private constructor(options: FakeBotApiOptions) {
    this.botId = 7_000_000_001;
    this.token = options.token ?? `${this.botId}:fake-${randomBytes(8).toString("hex")}`;
    this.username = options.username ?? "kadr_test_bot";
    this.maxUploadBytes = options.maxUploadBytes ?? 50 * 1024 * 1024;
  }

  /** Starts a fake on 127.0.0.1 at `options.port`, else at a random port. */
  static async start(options: FakeBotApiOptions = {}): Promise<FakeBotApi> {
    const fake = new FakeBotApi(options);
    fake.server = http.createServer((req, res) => {
      fake.handle(req, res).catch((err) => {
        res.writeHead(500, { "content-type": "application/json" });
        res.end(JSON.stringify({ ok: false, error_code: 500, description: String(err) }));
      });
    });
    await new Promise<void>((resolve, reject) => {
      fake.server!.once("error", reject);
      fake.server!.listen(options.port ?? 0, "127.0.0.1", resolve);
    });
    fake.port = (fake.server.address() as AddressInfo).port;
    return fake;
  }

  /** The value for grammY's `client.apiRoot` (and TELEGRAM_API_ROOT): "http://127.0.0.1:<port>". */
  get apiRoot(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** The bot's `User` object, as getMe answers it. */
  get me() {
    return {
      id: this.botId,
      is_bot: true as const,
      first_name: "Kadr",
      username: this.username,
      can_join_groups: false,
      can_read_all_group_messages: false,
      supports_inline_queries: false,
      can_connect_to_business: false,
      has_main_web_app: false,
      has_topics_enabled: false,
      allows_users_to_create_topics: false,
      can_manage_bots: false,
      supports_join_request_queries: false,
    };
  }

  /** Stops the server (a held getUpdates is answered first). */
  async close(): Promise<void> {
    this.closed = true;
    this.pendingPoll?.wake();
    await new Promise<void>((resolve) => {
      this.server?.close(() => resolve());
      this.server?.closeIdleConnections();
    });
  }

  /** Queues an update for getUpdates (long polling) and wakes a held request. */
  enqueue<U extends FakeUpdate>(update: U): U {
    this.updateQueue.push(update);
    this.pendingPoll?.wake();
    return update;
  }

  /** True while a getUpdates request is held open waiting for updates. */
  get pollHeld(): boolean {
    return this.pendingPoll !== undefined;
  }

  /** Updates queued and not yet confirmed by a getUpdates offset. */
  get queuedUpdates(): readonly FakeUpdate[] {
    return this.updateQueue;
  }

  /** Calls of one method, in arrival order. */
  callsOf(method: string): RecordedCall[] {
    return this.calls.filter((c) => c.method === method);
  }

  /** Successful calls addressed to one chat (any method with that chat_id). */
  callsTo(chatId: number): RecordedCall[] {
    return this.calls.filter((c) => Number(c.params.chat_id) === chatId && c.response.ok);
  }

  /** A message as it currently reads in the chat. */
  message(chatId: number, messageId: number): FakeMessage | undefined {
    return this.messages.get(`${chatId}:${messageId}`);
  }

  /** Makes the next call of `method` fail: 429 "Too Many Requests: retry after N" by default. */
  failNext(method: string, failure: { errorCode?: number; description?: string; retryAfter?: number } = {}) {
    const errorCode = failure.errorCode ?? 429;
    const response: BotApiResponse = {
      ok: false,
      error_code: errorCode,
      description:
        failure.description ??
        (errorCode === 429 ? `Too Many Requests: retry after ${failure.retryAfter ?? 1}` : "Bad Request"),
      ...(failure.retryAfter !== undefined ? { parameters: { retry_after: failure.retryAfter } } : {}),
    };
    this.failures.set(method, [...(this.failures.get(method) ?? []), response]);
  }

  /** A private-chat text message update from `user` (chat id = user id). */
  textUpdate(user: FakeUser, text: string) {
    const chat = { id: user.id, type: "private" as const, first_name: user.first_name ?? "Test" };
    const message_id = this.allocateMessageId(user.id);
    const entities = text.startsWith("/")
      ? [{ type: "bot_command" as const, offset: 0, length: text.split(" ")[0]!.length }]
      : undefined;
    return {
      update_id: this.nextUpdateId++,
      message: {
        message_id,
        date: Math.floor(Date.now() / 1000),
        chat,
        from: {
          id: user.id,
          is_bot: false,
          first_name: user.first_name ?? "Test",
          language_code: user.language_code,
        },
        text,
        ...(entities ? { entities } : {}),
      },
    };
  }

  /**
   * A private-chat text message from `user` that replies to the bot's message `repliedTo` (as a
   * client sends after a ForceReply prompt): `reply_to_message` is that message as stored, with
   * its plain text (https://core.telegram.org/bots/api#message).
   * @throws Error when the chat has no message `repliedTo`.
   */
  replyUpdate(user: FakeUser, repliedTo: number, text: string) {
    const stored = this.message(user.id, repliedTo);
    if (!stored) throw new Error(`No message ${repliedTo} in chat ${user.id} to reply to`);
    const update = this.textUpdate(user, text);
    const reply_to_message: Record<string, unknown> = this.toApiMessage(stored, {});
    if (stored.parseMode === "HTML" && typeof stored.text === "string") {
      reply_to_message.text = plainTextOfHtml(stored.text);
    }
    return { ...update, message: { ...update.message, reply_to_message } };
  }

  /** A callback query update (an inline button pressed on message `messageId`); its id is answerable once. */
  callbackUpdate(user: FakeUser, messageId: number, data: string) {
    const id = randomBytes(8).toString("hex");
    this.pendingCallbackQueries.add(id);
    const stored = this.message(user.id, messageId);
    return {
      update_id: this.nextUpdateId++,
      callback_query: {
        id,
        from: {
          id: user.id,
          is_bot: false,
          first_name: user.first_name ?? "Test",
          language_code: user.language_code,
        },
        chat_instance: String(user.id),
        data,
        message: {
          message_id: messageId,
          date: Math.floor(Date.now() / 1000),
          chat: { id: user.id, type: "private" as const, first_name: user.first_name ?? "Test" },
          text: stored?.text ?? stored?.caption ?? "",
        },
      },
    };
  }

  /** Ids of callback queries that were delivered but not answered yet. */
  get unansweredCallbackQueries(): string[] {
    return [...this.pendingCallbackQueries];
  }

  /**
   * A pre_checkout_query update (the user pressed Pay on an invoice); its id is answerable once
   * with answerPreCheckoutQuery (https://core.telegram.org/bots/api#precheckoutquery).
   */
  preCheckoutUpdate(user: FakeUser, payment: FakeInvoicePayment) {
    const id = randomBytes(8).toString("hex");
    this.pendingPreCheckoutQueries.add(id);
    return {
      update_id: this.nextUpdateId++,
      pre_checkout_query: { id, from: this.userOf(user), ...payment },
    };
  }

  /**
   * A service message with `successful_payment` (https://core.telegram.org/bots/api#successfulpayment)
   * in the user's private chat. Deliver the returned object twice to simulate a redelivery.
   * @param chargeId telegram_payment_charge_id (default: a new random one).
   */
  successfulPaymentUpdate(user: FakeUser, payment: FakeInvoicePayment, chargeId?: string) {
    return {
      update_id: this.nextUpdateId++,
      message: {
        message_id: this.allocateMessageId(user.id),
        date: Math.floor(Date.now() / 1000),
        chat: { id: user.id, type: "private" as const, first_name: user.first_name ?? "Test" },
        from: this.userOf(user),
        successful_payment: {
          ...payment,
          telegram_payment_charge_id: chargeId ?? `stxFake${randomBytes(12).toString("base64url")}`,
          provider_payment_charge_id: "",
        },
      },
    };
  }

  /** Ids of pre-checkout queries that were delivered but not answered yet. */
  get unansweredPreCheckoutQueries(): string[] {
    return [...this.pendingPreCheckoutQueries];
  }

  private userOf(user: FakeUser) {
    return {
      id: user.id,
      is_bot: false as const,
      first_name: user.first_name ?? "Test",
      language_code: user.language_code,
    };
  }

  private allocateMessageId(chatId: number): number {
    const id = (this.nextMessageId.get(chatId) ?? 0) + 1;
    this.nextMessageId.set(chatId, id);
    return id;
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const at = Date.now();
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const match = /^\/bot([^/]+)\/([A-Za-z]+)$/.exec(req.url ?? "");
    const method = match?.[2] ?? "";
    let params: Record<string, unknown> = {};
    let uploads = new Map<string, FakeUpload>();
    const contentType = req.headers["content-type"] ?? "";
    const multipart = contentType.startsWith("multipart/form-data");
    let response: BotApiResponse;
    try {
      if (!match || req.method !== "POST") throw new TelegramError(404, "Not Found");
      if (match[1] !== this.token) throw new TelegramError(401, "Unauthorized");
      if (multipart) {
        const boundary = /boundary=([^;]+)/.exec(contentType)?.[1] ?? "";
        const parsed = parseMultipart(body, boundary);
        uploads = parsed.files;
        params = Object.fromEntries(
          Object.entries(parsed.fields).map(([k, v]) => [k, JSON_FIELDS.has(k) ? safeJson(v) : v]),
        );
      } else if (body.length) {
        params = JSON.parse(body.toString("utf8")) as Record<string, unknown>;
      }
      const failure = this.failures.get(method)?.shift();
      if (failure) response = failure;
      else {
        const tooBig = [...uploads.values()].find((u) => u.bytes > this.maxUploadBytes);
        if (tooBig) throw new TelegramError(413, "Request Entity Too Large");
        const result =
          method === "getUpdates"
            ? await this.getUpdates(params, res)
            : this.dispatch(method, params, uploads);
        response = { ok: true, result };
      }
    } catch (err) {
      if (!(err instanceof TelegramError)) throw err;
      response = { ok: false, error_code: err.code, description: err.description };
    }
    this.calls.push({ method, params, multipart, uploads: [...uploads.values()], at, response });
    res.writeHead(response.ok ? 200 : response.error_code, { "content-type": "application/json" });
    res.end(JSON.stringify(response));
  }

  private dispatch(method: string, p: Record<string, unknown>, uploads: Map<string, FakeUpload>): unknown {
    switch (method) {
      case "getMe":
        return this.me;
      case "setMyCommands":
        return this.setMyCommands(p);
      case "setChatMenuButton":
        return this.setChatMenuButton(p);
      case "setWebhook":
        this.webhookUrl = typeof p.url === "string" ? p.url : "";
        if (p.drop_pending_updates === true) this.updateQueue.length = 0;
        return true;
      case "deleteWebhook":
        this.webhookUrl = "";
        if (p.drop_pending_updates === true) this.updateQueue.length = 0;
        return true;
      case "getWebhookInfo":
        return {
          url: this.webhookUrl,
          has_custom_certificate: false,
          pending_update_count: this.updateQueue.length,
        };
      case "sendChatAction":
        this.chatId(p);
        if (!CHAT_ACTIONS.has(String(p.action))) throw badRequest("wrong parameter action in request");
        return true;
      case "sendMessage": {
        const text = this.checkText(p.text, p.parse_mode, 4096, "message is too long");
        const parseMode = p.parse_mode === "HTML" ? "HTML" : undefined;
        return this.store(this.chatId(p), { text, parseMode }, p.reply_markup);
      }
      case "editMessageText":
        return this.editMessageText(p);
      case "deleteMessage": {
        const key = `${this.chatId(p)}:${Number(p.message_id)}`;
        if (!this.messages.delete(key)) throw badRequest("message to delete not found");
        return true;
      }
      case "answerCallbackQuery": {
        const id = String(p.callback_query_id ?? "");
        if (!this.pendingCallbackQueries.delete(id)) {
          throw badRequest("query is too old and response timeout expired or query ID is invalid");
        }
        if (typeof p.text === "string" && p.text.length > 200) throw badRequest("MESSAGE_TOO_LONG");
        return true;
      }
      case "sendPhoto":
      case "sendVideo": {
        const kind = method === "sendPhoto" ? "photo" : "video";
        const caption = this.checkCaption(p);
        const file = this.resolveFile(p[kind], kind, uploads);
        return this.store(this.chatId(p), { caption, ...this.mediaOf(file, p) }, p.reply_markup);
      }
      case "sendMediaGroup":
        return this.sendMediaGroup(p, uploads);
      case "sendInvoice":
        return this.sendInvoice(p);
      case "answerPreCheckoutQuery":
        return this.answerPreCheckoutQuery(p);
      default:
        throw new TelegramError(404, "Not Found: method not found");
    }
  }

  private chatId(p: Record<string, unknown>): number {
    const id = Number(p.chat_id);
    if (!p.chat_id || !Number.isFinite(id)) throw badRequest("chat not found");
    return id;
  }

  private checkText(value: unknown, parseMode: unknown, max: number, tooLong: string): string {
    if (typeof value !== "string") throw badRequest("message text is empty");
    const plain = parseMode === "HTML" ? plainTextOfHtml(value) : value;
    if (!plain.trim()) throw badRequest("message text is empty");
    if (plain.length > max) throw badRequest(tooLong);
    return value;
  }

  private checkCaption(p: Record<string, unknown>): string | undefined {
    if (p.caption === undefined) return undefined;
    if (typeof p.caption !== "string") throw badRequest("wrong caption");
    const plain = p.parse_mode === "HTML" ? plainTextOfHtml(p.caption) : p.caption;
    if (plain.length > 1024) throw badRequest("message caption is too long");
    return p.caption;
  }

  private resolveFile(
    value: unknown,
    kind: StoredFile["kind"],
    uploads: Map<string, FakeUpload>,
  ): StoredFile {
    if (typeof value !== "string" || !value) throw badRequest(`there is no ${kind} in the request`);
    if (value.startsWith("attach://")) {
      const upload = uploads.get(value.slice("attach://".length));
      if (!upload) throw badRequest(`wrong remote file identifier specified: can't find attached file`);
      if (upload.bytes === 0) throw badRequest("file must be non-empty");
      const file: StoredFile = {
        fileId: `${kind === "video" ? "BAAC" : "AgAC"}${randomBytes(24).toString("base64url")}`,
        fileUniqueId: `AQAD${randomBytes(8).toString("base64url")}`,
        kind,
        bytes: upload.bytes,
      };
      this.files.set(file.fileId, file);
      return file;
    }
    const known = this.files.get(value);
    if (!known) throw badRequest("wrong file identifier/HTTP URL specified");
    if (known.kind !== kind)
      throw badRequest(`wrong file type: can't use file of type ${known.kind} as ${kind}`);
    return known;
  }

  private mediaOf(
    file: StoredFile,
    p: Record<string, unknown>,
  ): Partial<FakeMessage> & Record<string, unknown> {
    if (file.kind === "photo") {
      return {
        photo: [
          { file_id: `${file.fileId}s`, file_unique_id: `${file.fileUniqueId}s`, width: 90, height: 90 },
          {
            file_id: file.fileId,
            file_unique_id: file.fileUniqueId,
            width: 1280,
            height: 720,
            file_size: file.bytes,
          },
        ],
      };
    }
    return {
      video: {
        file_id: file.fileId,
        file_unique_id: file.fileUniqueId,
        duration: Number(p.duration ?? 0),
        width: Number(p.width ?? 0),
        height: Number(p.height ?? 0),
        mime_type: "video/mp4",
        file_size: file.bytes,
      },
    } as Partial<FakeMessage>;
  }

  private store(chatId: number, content: Record<string, unknown>, markup: unknown) {
    const replyMarkup = this.checkReplyMarkup(markup);
    const message_id = this.allocateMessageId(chatId);
    const message = { message_id, chatId, ...content, replyMarkup } as FakeMessage;
    this.messages.set(`${chatId}:${message_id}`, message);
    return this.toApiMessage(message, content);
  }

  private toApiMessage(message: FakeMessage, content: Record<string, unknown>) {
    const { chatId, replyMarkup, parseMode: _parseMode, ...rest } = { ...message, ...content };
    return {
      ...Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined)),
      date: Math.floor(Date.now() / 1000),
      chat: { id: chatId, type: chatId > 0 ? "private" : "group" },
      from: { id: this.botId, is_bot: true, first_name: "Kadr", username: this.username },
      ...(replyMarkup ? { reply_markup: JSON.parse(replyMarkup) } : {}),
    };
  }

  private editMessageText(p: Record<string, unknown>) {
    const chatId = this.chatId(p);
    const message = this.messages.get(`${chatId}:${Number(p.message_id)}`);
    if (!message) throw badRequest("message to edit not found");
    if (message.text === undefined) throw badRequest("there is no text in the message to edit");
    const text = this.checkText(p.text, p.parse_mode, 4096, "MESSAGE_TOO_LONG");
    const replyMarkup = this.checkReplyMarkup(p.reply_markup);
    if (text === message.text && replyMarkup === message.replyMarkup) {
      throw badRequest(
        "message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message",
      );
    }
    message.text = text;
    message.replyMarkup = replyMarkup;
    return { ...this.toApiMessage(message, {}), edit_date: Math.floor(Date.now() / 1000) };
  }

  private sendMediaGroup(p: Record<string, unknown>, uploads: Map<string, FakeUpload>) {
    const chatId = this.chatId(p);
    const media = p.media;
    if (!Array.isArray(media)) throw badRequest("can't parse InputMedia JSON object");
    if (media.length < 2 || media.length > 10)
      throw badRequest("wrong number of media in the group: must be 2-10");
    const items = media.map((item: Record<string, unknown>) => {
      if (item.type !== "photo" && item.type !== "video")
        throw badRequest("unsupported media type in the group");
      const caption = this.checkCaption(item);
      return { caption, file: this.resolveFile(item.media, item.type, uploads), item };
    });
    const mediaGroupId = randomBytes(8).toString("hex");
    return items.map(({ caption, file, item }) => ({
      ...this.store(chatId, { caption, ...this.mediaOf(file, item) }, undefined),
      media_group_id: mediaGroupId,
    }));
  }

  /**
   * getUpdates: see the module comment.
   * @throws TelegramError 409 while a webhook is set, or when a newer getUpdates replaces this one.
   */
  private async getUpdates(p: Record<string, unknown>, res: http.ServerResponse): Promise<FakeUpdate[]> {
    if (this.webhookUrl) {
      throw new TelegramError(
        409,
        "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first",
      );
    }
    this.pendingPoll?.terminate();
    const offset = Number(p.offset ?? 0);
    if (offset > 0) {
      while (this.updateQueue.length && this.updateQueue[0]!.update_id < offset) this.updateQueue.shift();
    } else if (offset < 0) {
      this.updateQueue.splice(0, Math.max(0, this.updateQueue.length + offset));
    }
    const limit = Math.min(100, Math.max(1, Number(p.limit ?? 100) || 100));
    const timeoutMs = Math.max(0, Number(p.timeout ?? 0)) * 1000;
    if (!this.updateQueue.length && timeoutMs > 0 && !this.closed) {
      let terminated = false;
      let poll: PendingPoll | undefined;
      await new Promise<void>((resolve) => {
        const finish = () => {
          clearTimeout(timer);
          res.off("close", finish);
          resolve();
        };
        const timer = setTimeout(finish, timeoutMs);
        poll = {
          wake: finish,
          terminate: () => {
            terminated = true;
            finish();
          },
        };
        this.pendingPoll = poll;
        res.on("close", finish);
      });
      if (this.pendingPoll === poll) this.pendingPoll = undefined;
      if (terminated) {
        throw new TelegramError(
          409,
          "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running",
        );
      }
    }
    const allowed = Array.isArray(p.allowed_updates) ? (p.allowed_updates as string[]) : [];
    return this.updateQueue
      .slice(0, limit)
      .filter((u) => !allowed.length || Object.keys(u).some((k) => allowed.includes(k)));
  }

  /** sendInvoice with Telegram's checks; see the module comment. */
  private sendInvoice(p: Record<string, unknown>) {
    const chatId = this.chatId(p);
    const title = typeof p.title === "string" ? p.title : "";
    if ([...title].length < 1 || [...title].length > 32)
      throw badRequest("invoice title must be 1-32 characters");
    const description = typeof p.description === "string" ? p.description : "";
    if ([...description].length < 1 || [...description].length > 255) {
      throw badRequest("invoice description must be 1-255 characters");
    }
    const payload = typeof p.payload === "string" ? p.payload : "";
    const payloadBytes = Buffer.byteLength(payload);
    if (payloadBytes < 1 || payloadBytes > 128) throw badRequest("INVOICE_PAYLOAD_INVALID");
    const currency = String(p.currency ?? "");
    if (!/^[A-Z]{3}$/.test(currency)) throw badRequest("CURRENCY_INVALID");
    const prices = p.prices;
    if (!Array.isArray(prices) || prices.length === 0) throw badRequest("can't parse prices JSON object");
    for (const price of prices as { label?: unknown; amount?: unknown }[]) {
      if (typeof price?.label !== "string" || !price.label) throw badRequest("price label must be non-empty");
      if (!Number.isSafeInteger(price.amount) || Number(price.amount) <= 0) {
        throw badRequest("CURRENCY_TOTAL_AMOUNT_INVALID");
      }
    }
    const providerToken = p.provider_token ?? "";
    if (currency === "XTR") {
      if (providerToken !== "") throw badRequest("STARS_INVOICE_INVALID");
      if (prices.length !== 1) throw badRequest("STARS_INVOICE_INVALID");
      if (p.max_tip_amount !== undefined && Number(p.max_tip_amount) !== 0) {
        throw badRequest("STARS_INVOICE_INVALID");
      }
    } else if (typeof providerToken !== "string" || !providerToken) {
      throw badRequest("PAYMENT_PROVIDER_INVALID");
    }
    const markup = p.reply_markup as { inline_keyboard?: Record<string, unknown>[][] } | undefined;
    const first = markup?.inline_keyboard?.[0]?.[0];
    if (markup?.inline_keyboard?.flat().length && first?.pay !== true) {
      throw badRequest("the first button in the inline keyboard must be a Pay button");
    }
    const total_amount = (prices as { amount: number }[]).reduce((sum, price) => sum + price.amount, 0);
    const invoice = {
      title,
      description,
      start_parameter: typeof p.start_parameter === "string" ? p.start_parameter : "",
      currency,
      total_amount,
    };
    return this.store(chatId, { invoice }, p.reply_markup);
  }

  private answerPreCheckoutQuery(p: Record<string, unknown>) {
    const id = String(p.pre_checkout_query_id ?? "");
    if (typeof p.ok !== "boolean") throw badRequest('parameter "ok" is required');
    if (!p.ok && (typeof p.error_message !== "string" || !p.error_message.trim())) {
      throw badRequest("error_message must be non-empty if ok is false");
    }
    if (!this.pendingPreCheckoutQueries.delete(id)) {
      throw badRequest("query is too old and response timeout expired or query ID is invalid");
    }
    return true;
  }

  private setMyCommands(p: Record<string, unknown>) {
    if (!Array.isArray(p.commands)) throw badRequest("can't parse commands JSON object");
    for (const c of p.commands as { command?: unknown; description?: unknown }[]) {
      if (typeof c.command !== "string" || !/^[a-z0-9_]{1,32}$/.test(c.command)) {
        throw badRequest("BOT_COMMAND_INVALID");
      }
      if (typeof c.description !== "string" || c.description.length < 1 || c.description.length > 256) {
        throw badRequest("BOT_COMMAND_DESCRIPTION_INVALID");
      }
    }
    return true;
  }

  private setChatMenuButton(p: Record<string, unknown>) {
    const button = p.menu_button as { type?: string; text?: string; web_app?: { url?: string } } | undefined;
    if (button === undefined || button.type === "default" || button.type === "commands") return true;
    if (button.type !== "web_app") throw badRequest("unsupported menu button type");
    if (!button.text) throw badRequest("menu button text must be non-empty");
    this.checkWebAppUrl(button.web_app?.url, "Web App URL");
    return true;
  }

  private checkWebAppUrl(url: unknown, what: string) {
    if (typeof url !== "string" || !url.startsWith("https://")) {
      throw badRequest(`${what} '${String(url)}' is invalid: Only HTTPS links are allowed`);
    }
  }

  /** Validates reply_markup the way Telegram does; returns its normalized JSON (or undefined). */
  private checkReplyMarkup(markup: unknown): string | undefined {
    if (markup === undefined || markup === null) return undefined;
    const value = typeof markup === "string" ? safeJson(markup) : markup;
    if (typeof value !== "object" || value === null) {
      throw badRequest("can't parse reply keyboard markup JSON object");
    }
    const m = value as Record<string, unknown>;
    if (m.inline_keyboard !== undefined) {
      const rows = m.inline_keyboard;
      if (!Array.isArray(rows) || rows.some((r) => !Array.isArray(r))) {
        throw badRequest('field "inline_keyboard" of the InlineKeyboardMarkup must be an Array of Arrays');
      }
      for (const button of rows.flat() as Record<string, unknown>[]) {
        if (typeof button?.text !== "string" || !button.text) throw badRequest("BUTTON_TEXT_INVALID");
        const actions = INLINE_BUTTON_ACTIONS.filter((a) => button[a] !== undefined);
        if (actions.length !== 1) {
          throw badRequest(
            "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard",
          );
        }
        if (button.callback_data !== undefined) {
          const data = String(button.callback_data);
          if (!data || Buffer.byteLength(data) > 64) throw badRequest("BUTTON_DATA_INVALID");
        }
        if (button.web_app !== undefined) {
          this.checkWebAppUrl(
            (button.web_app as { url?: unknown }).url,
            "inline keyboard button Web App URL",
          );
        }
        if (button.url !== undefined && !/^(https?|tg):\/\//.test(String(button.url))) {
          throw badRequest(`inline keyboard button URL '${String(button.url)}' is invalid`);
        }
      }
      if (rows.flat().length === 0) return undefined;
    } else if (m.keyboard !== undefined) {
      const rows = m.keyboard;
      if (!Array.isArray(rows) || rows.some((r) => !Array.isArray(r))) {
        throw badRequest('field "keyboard" of the ReplyKeyboardMarkup must be an Array of Arrays');
      }
      for (const button of rows.flat() as unknown[]) {
        const text = typeof button === "string" ? button : (button as { text?: unknown })?.text;
        if (typeof text !== "string" || !text) throw badRequest("BUTTON_TEXT_INVALID");
      }
    } else if (m.force_reply === true) {
      // https://core.telegram.org/bots/api#forcereply: input_field_placeholder is 1-64 characters.
      const placeholder = m.input_field_placeholder;
      if (placeholder !== undefined && (typeof placeholder !== "string" || placeholder.length > 64)) {
        throw badRequest("can't parse reply keyboard markup JSON object");
      }
    } else if (m.remove_keyboard !== true) {
      throw badRequest("can't parse reply keyboard markup JSON object");
    }
    return JSON.stringify(m);
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
