/**
 * Kadr's Telegram bot (grammY, https://grammy.dev), framework-free: the same bot runs behind the
 * webhook route and under long polling.
 *
 * - /start: a welcome in the user's language with an inline web_app button "Open studio" and the
 *   persistent reply keyboard (Status, Approve, Reject, Start); `/start <jobId>` (a
 *   `https://t.me/<bot>?start=<jobId>` deep link) shows that job. The chat's menu button is set to
 *   the Mini App when PUBLIC_URL is https.
 * - Any other text is a topic: a job is created through the studio service (createJob), the chat
 *   subscribes to it, and the reply — plan, status, stage counts, [Open storyboard] — becomes the
 *   job's progress message, edited in place later by the notifier (notifier.ts).
 *   The reply also shows the job's cost in credits and the user's balance. When createJob refuses
 *   — InsufficientCreditsError (not enough credits; the reply carries a [Buy credits] button) or
 *   RateLimitedError (too many videos) — the bot answers in the user's language and goes on.
 * - Status / Approve / Reject act on the chat's current job; Approve at a gate with failed
 *   segments offers a retry instead (approveGate refuses such gates); Reject asks first, then
 *   cancels (cancelJob) and reports the outcome with the balance.
 * - /greet (or [🎁 Personal greeting] in the welcome): the greeting templates as buttons (title and
 *   price); a template asks for the name with a ForceReply prompt (pending-input.ts: the action
 *   travels in the prompt, nothing is stored); the reply runs requestGreeting (lib/greetings) with
 *   the chat as the delivery channel. A new generation ("owner") or a running one ("subscriber")
 *   answers with the job's progress message (edited by the notifier; deliver-video sends the
 *   video); a finished one ("completed") is sent at once through delivery.ts, by its file_id when
 *   Telegram has it (no upload). A bad name re-asks with the service's message; not enough
 *   credits answers with [Buy credits].
 * - [➕ Extend] under a delivered video (delivery.ts, owner only) asks for the new segment's text
 *   the same way; the reply runs requestExtension (lib/studio/extend.ts), subscribes the chat to
 *   the new job, and answers with its price and progress message; deliver-video sends the longer
 *   video when it is done.
 * - /login: a one-time link to the browser dashboard (lib/auth/login-links.ts) behind an [Open
 *   dashboard] URL button, valid once for KADR_LOGIN_LINK_TTL (10 minutes), in private chats only
 *   (in a group anyone could tap it and sign in as the sender). Without an https PUBLIC_URL the
 *   bot says why it cannot send one. Earlier links stay valid until used or expired.
 * - /balance: credits available and reserved. /buy (or the [Buy credits] button): the packs of
 *   payments.ts as buttons; a pack sends a Telegram Stars invoice (`/buy 500` sends it at once).
 *   pre_checkout_query is answered ok for a known pack at its price, refused otherwise;
 *   `successful_payment` grants the pack's credits once per charge id and replies with the balance.
 * - Every callback query is answered (https://core.telegram.org/bots/api#answercallbackquery).
 * - Outgoing calls pass Kadr's flow control (flow-control.ts): ≤ 1 message/s per chat, ≤ 30/s
 *   overall, 429 retried after retry_after (capped).
 */
import { Bot, type Context, InlineKeyboard, Keyboard } from "grammy";
import type { UserFromGetMe } from "grammy/types";
import { DEFAULT_LOGIN_LINK_TTL_SECONDS, issueLoginLink, loginLinksEnabled } from "@/lib/auth/login-links";
import { balance, InsufficientCreditsError } from "@/lib/credits/ledger";
import { estimateExtension, estimateJob } from "@/lib/credits/pricing";
import type { Job, User } from "@/lib/db/schema";
import { GATES, type Gate } from "@/lib/db/schema";
import { AppError, isClientError } from "@/lib/errors";
import { requestGreeting } from "@/lib/greetings/greetings";
import { fillName, GREETING_TEMPLATES, type GreetingTemplate } from "@/lib/greetings/templates";
import { RateLimitedError } from "@/lib/limits/rate-limited-error";
import type { BlobStore } from "@/lib/storage";
import { requestExtension } from "@/lib/studio/extend";
import {
  approveGate,
  cancelJob,
  createJob,
  GATE_STATUS,
  getJob,
  getJobView,
  requestRegeneration,
  type StudioDeps,
  studioPolicy,
} from "@/lib/studio/jobs";
import type { CreateJobInput } from "@/lib/studio/schemas";
import { findTelegramUser, languageFromCode, upsertTelegramUser } from "@/lib/studio/users";
import { sharedFlowControl } from "../api";
import { deliverVideoToChat } from "../delivery";
import type { FlowControlOptions } from "../flow-control";
import { botDeepLink, callbackData, JOB_ID_PATTERN, miniAppUrl, storyboardKeyboard } from "../links";
import {
  CREDIT_PACKS,
  type CreditPack,
  checkoutPack,
  creditPayment,
  invoicePayload,
  packOfCredits,
  packOfPayload,
  STARS_CURRENCY,
} from "../payments";
import { forceReply, pendingInputOf, pendingPromptText } from "../pending-input";
import { chatsFollowing, currentJobOfChat, setProgressMessage, subscribeChat } from "../subscriptions";
import {
  type ChatLanguage,
  escapeHtml,
  KEYBOARD_LABELS,
  keyboardActionOf,
  progressText,
  statusLabel,
  texts,
} from "../texts";

export interface BotDeps extends StudioDeps {
  /** Public https origin of the app; without it the bot shows no web_app buttons and sends no sign-in links. */
  publicUrl?: string;
  /** Lifetime of a /login sign-in link, seconds (default 600: KADR_LOGIN_LINK_TTL). */
  loginLinkTtlSeconds?: number;
  /** Format of jobs started from the chat (defaults: the studio's, 10 × 5 s, 16:9). */
  jobDefaults?: Pick<CreateJobInput, "segmentCount" | "segmentSeconds" | "aspect">;
  /** Limiter and retry settings (the first bot or client of a token in a process sets them). */
  flowControl?: FlowControlOptions;
  /** Credit packs sold for Telegram Stars (default CREDIT_PACKS of payments.ts). */
  creditPacks?: readonly CreditPack[];
  /** Where unexpected handler errors go (default console.error). */
  log?: (message: string, err: unknown) => void;
  /**
   * Blob store and scratch directory for sending a finished greeting that Telegram has no file_id
   * of yet (an upload through delivery.ts). Without them such a greeting is answered with a link.
   */
  store?: BlobStore;
  workDir?: string;
}

export interface CreateBotOptions {
  /** Bot token from @BotFather. */
  token: string;
  /** Bot API origin without a trailing slash (default https://api.telegram.org). */
  apiRoot?: string;
  /** The bot's own User (skips getMe on start); fetched with getMe when absent. */
  botInfo?: UserFromGetMe;
  deps: BotDeps;
}

/** The persistent reply keyboard: Status, Approve / Reject, Start. */
export function replyKeyboard(language: ChatLanguage): Keyboard {
  const labels = KEYBOARD_LABELS[language];
  return new Keyboard()
    .text(labels.status)
    .text(labels.approve)
    .row()
    .text(labels.reject)
    .text(labels.start)
    .resized()
    .persistent();
}

/** The gate a job status waits at, if any. */
function gateOf(status: string): Gate | undefined {
  return GATES.find((gate) => GATE_STATUS[gate] === status);
}

/**
 * Builds the bot with all handlers and flow control installed; nothing is sent until updates
 * arrive (`bot.handleUpdate`, `webhookCallback`, or `bot.start()` for long polling).
 */
export function createBot(options: CreateBotOptions): Bot {
  const { deps } = options;
  const bot = new Bot(options.token, {
    botInfo: options.botInfo,
    client: options.apiRoot ? { apiRoot: options.apiRoot } : undefined,
  });
  bot.api.config.use(...sharedFlowControl(options.token, deps.flowControl));
  const log = deps.log ?? ((message: string, err: unknown) => console.error(message, err));
  const actorOf = (ctx: Context) => `telegram:${ctx.from!.id}`;

  const userOf = (ctx: Context): Promise<User> => {
    const from = ctx.from!;
    return upsertTelegramUser(deps.db, {
      id: from.id,
      firstName: from.first_name,
      lastName: from.last_name,
      username: from.username,
      languageCode: from.language_code,
    });
  };
  const languageOf = (user: User): ChatLanguage => (user.language === "ru" ? "ru" : "en");

  /** The chat's language for a reply outside a handler that loaded the user. */
  const languageOfSender = async (ctx: Context): Promise<ChatLanguage> => {
    const known = ctx.from ? await findTelegramUser(deps.db, ctx.from.id).catch(() => undefined) : undefined;
    return known ? languageOf(known) : languageFromCode(ctx.from?.language_code);
  };

  /**
   * A refusal in the user's language: not enough credits (with [Buy credits]), a job limit, or any
   * other client error's own message.
   */
  const refusalOf = (err: AppError, language: ChatLanguage): { text: string; buy: boolean } => {
    const t = texts(language);
    if (err instanceof InsufficientCreditsError) {
      return { text: t.notEnoughCredits(err.needed, err.balance, err.shortfall), buy: true };
    }
    if (err instanceof RateLimitedError) {
      return { text: t.tooManyJobs(err.message, err.retryAfterSeconds), buy: false };
    }
    return { text: err.message, buy: false };
  };

  /** Posts a refusal in the chat (see `refusalOf`); a failing reply is only logged. */
  const replyRefusal = async (ctx: Context, err: AppError, language: ChatLanguage) => {
    const { text, buy } = refusalOf(err, language);
    await ctx
      .reply(text, buy ? { reply_markup: buyKeyboard(language) } : undefined)
      .catch((replyErr) => log("telegram reply failed", replyErr));
  };

  // Error boundary: a failing handler never fails the update (the webhook answers 200); client
  // errors are answered in the chat — except a successful payment that could not be credited:
  // that update fails, so the webhook answers 500 and Telegram delivers it again (crediting is
  // idempotent on the charge id).
  bot.use(async (ctx, next) => {
    try {
      await next();
    } catch (err) {
      if (isClientError(err) && ctx.chat) {
        await replyRefusal(ctx, err, await languageOfSender(ctx));
        return;
      }
      log(`telegram update ${ctx.update.update_id} failed`, err);
      if (ctx.message?.successful_payment) throw err;
    }
  });
  // Long polling reports failed updates here instead of stopping the bot.
  bot.catch((err) => log(`telegram update ${err.ctx.update.update_id} failed`, err.error));

  const packs = deps.creditPacks ?? CREDIT_PACKS;
  const defaultFormat = {
    segmentCount: deps.jobDefaults?.segmentCount ?? 10,
    segmentSeconds: deps.jobDefaults?.segmentSeconds ?? 5,
  };

  /** [Buy credits]: opens the pack chooser. */
  const buyKeyboard = (language: ChatLanguage) =>
    new InlineKeyboard().text(texts(language).buyCredits, callbackData.buy());

  /** One button per pack; each sends that pack's invoice. */
  const sendPackChooser = async (ctx: Context, language: ChatLanguage) => {
    const t = texts(language);
    const keyboard = InlineKeyboard.from(
      packs.map((pack) => [
        InlineKeyboard.text(t.packButton(pack.credits, pack.stars), callbackData.buy(pack.id)),
      ]),
    );
    await ctx.reply(t.choosePack, { reply_markup: keyboard });
  };

  /**
   * Sends a Telegram Stars invoice for one pack (https://core.telegram.org/bots/api#sendinvoice):
   * currency XTR, provider_token "" and exactly one LabeledPrice of `pack.stars` Stars.
   */
  const sendInvoice = async (ctx: Context, language: ChatLanguage, pack: CreditPack) => {
    const t = texts(language);
    const perVideo = estimateJob(defaultFormat).total;
    await ctx.replyWithInvoice(
      t.invoiceTitle(pack.credits),
      t.invoiceDescription(pack.credits, defaultFormat.segmentCount * defaultFormat.segmentSeconds, perVideo),
      invoicePayload(pack),
      STARS_CURRENCY,
      [{ label: t.invoiceLabel(pack.credits), amount: pack.stars }],
      { provider_token: "" },
    );
  };

  /**
   * The welcome with the reply keyboard, then [Open studio] (https PUBLIC_URL only) and [🎁 Personal
   * greeting], with a line about /login when sign-in links can be sent.
   */
  const sendWelcome = async (ctx: Context, language: ChatLanguage) => {
    const t = texts(language);
    const studio = miniAppUrl(deps.publicUrl);
    await ctx.reply(t.welcome, { parse_mode: "HTML", reply_markup: replyKeyboard(language) });
    const extras = studio ? new InlineKeyboard().webApp(t.openStudio, studio).row() : new InlineKeyboard();
    const text = loginLinksEnabled(deps.publicUrl)
      ? `${t.welcomeExtras}\n${t.welcomeLogin}`
      : t.welcomeExtras;
    await ctx.reply(text, { reply_markup: extras.text(t.greetingButton, callbackData.greet()) });
  };

  /** Templates in the user's language first, then the others. */
  const greetingTemplates = (language: ChatLanguage): GreetingTemplate[] =>
    Object.values(GREETING_TEMPLATES).sort(
      (a, b) => Number(b.language === language) - Number(a.language === language),
    );
  /** A template's title with the name left open: "Happy New Year, …!". */
  const openTitle = (template: GreetingTemplate) => fillName(template.title, "…");

  /** One button per greeting template: title and price. */
  const sendGreetingChooser = async (ctx: Context, language: ChatLanguage) => {
    const t = texts(language);
    const keyboard = InlineKeyboard.from(
      greetingTemplates(language).map((template) => [
        InlineKeyboard.text(
          t.greetingOption(openTitle(template), template.priceCredits),
          callbackData.greet(template.id),
        ),
      ]),
    );
    await ctx.reply(t.chooseGreeting, { reply_markup: keyboard });
  };

  /** The ForceReply prompt for a greeting's name; `problem` (a refused name) is shown above the question. */
  const askGreetingName = async (
    ctx: Context,
    language: ChatLanguage,
    template: GreetingTemplate,
    problem?: string,
  ) => {
    const t = texts(language);
    const body = [
      `🎁 ${openTitle(template)}`,
      problem ? `⚠️ ${problem}` : undefined,
      t.askName(template.description, template.priceCredits),
    ]
      .filter(Boolean)
      .join("\n");
    await ctx.reply(pendingPromptText(body, { kind: "greet", arg: template.id }), {
      reply_markup: forceReply(t.namePlaceholder),
    });
  };

  /** The ForceReply prompt for an extension's text, with the price of one more segment. */
  const askExtensionPrompt = async (ctx: Context, language: ChatLanguage, parent: Job, problem?: string) => {
    const t = texts(language);
    const title = parent.script?.title || parent.topic;
    const body = [
      t.askExtension(title, parent.segmentSeconds, estimateExtension(parent.segmentSeconds)),
      problem ? `⚠️ ${problem}\n${t.tryAgain}` : undefined,
    ]
      .filter(Boolean)
      .join("\n");
    await ctx.reply(pendingPromptText(body, { kind: "extend", arg: parent.id }), {
      reply_markup: forceReply(t.extensionPlaceholder),
    });
  };

  /**
   * Posts a job's progress message (progress text plus `note`) with [Open storyboard] and records
   * it on the chat's subscription, so the notifier edits it in place from then on.
   */
  const postProgress = async (
    ctx: Context,
    language: ChatLanguage,
    jobId: string,
    subscriptionId: string,
    note: string,
  ) => {
    const view = await getJobView(deps.db, jobId);
    const message = await ctx.reply(`${progressText(view, language)}\n${escapeHtml(note)}`, {
      parse_mode: "HTML",
      reply_markup: storyboardKeyboard(deps.publicUrl, jobId, language),
    });
    await setProgressMessage(deps.db, subscriptionId, message.message_id);
  };

  /**
   * Sends a finished video to this chat now (delivery.ts: by file_id when Telegram has it, else an
   * upload when the bot has a store, else a link to the studio), even if the subscription had it
   * before (a repeated request).
   */
  const sendFinishedVideo = async (
    ctx: Context,
    language: ChatLanguage,
    jobId: string,
    subscriptionId: string,
    result: { assetId: string; telegramFileId: string | null },
  ) => {
    const chat = (await chatsFollowing(deps.db, jobId)).find((c) => c.subscriptionId === subscriptionId);
    if (!chat) throw new Error(`Subscription ${subscriptionId} of job ${jobId} has no Telegram chat`);
    if (!result.telegramFileId && !(deps.store && deps.workDir)) {
      const url = miniAppUrl(deps.publicUrl, jobId) ?? botDeepLink(ctx.me.username, jobId);
      await ctx.reply(`${texts(language).greetingReadyNoVideo}\n${url}`);
      return;
    }
    await deliverVideoToChat(
      {
        db: deps.db,
        api: ctx.api,
        store: deps.store!,
        workDir: deps.workDir!,
        publicUrl: deps.publicUrl,
        botUsername: ctx.me.username,
      },
      jobId,
      result.assetId,
      chat,
      { resend: true },
    );
  };

  /** The reply to a greeting's name prompt: requestGreeting, then the answer for its role. */
  const onGreetingName = async (ctx: Context, templateId: string, name: string) => {
    const user = await userOf(ctx);
    const language = languageOf(user);
    const t = texts(language);
    const template = GREETING_TEMPLATES[templateId];
    let outcome: Awaited<ReturnType<typeof requestGreeting>>;
    try {
      outcome = await requestGreeting(
        deps,
        user.id,
        { templateId, name },
        { channel: "telegram", telegramChatId: ctx.chat!.id },
      );
    } catch (err) {
      if (err instanceof InsufficientCreditsError || err instanceof RateLimitedError) {
        await replyRefusal(ctx, err, language);
        return;
      }
      if (err instanceof AppError && err.code === "bad_input" && template) {
        await askGreetingName(ctx, language, template, err.message);
        return;
      }
      throw err;
    }
    const credits = await balance(deps.db, user.id);
    if (outcome.role === "completed") {
      await sendFinishedVideo(ctx, language, outcome.jobId, outcome.subscriptionId, outcome.result);
      await ctx.reply(t.greetingReady(outcome.charged, credits.available));
      return;
    }
    const note =
      outcome.role === "owner"
        ? t.greetingStarted(outcome.charged, credits.available)
        : t.greetingJoined(outcome.charged, credits.available);
    await postProgress(ctx, language, outcome.jobId, outcome.subscriptionId, note);
  };

  /** Job limits for extensions: the studio policy's (deps.policy, else the environment); null = none. */
  const extensionLimits = () =>
    studioPolicy(deps).limits ?? {
      maxActiveJobs: Number.POSITIVE_INFINITY,
      maxJobsPerHour: Number.POSITIVE_INFINITY,
    };

  /** The reply to an extension prompt: requestExtension, subscribe the chat, price and progress. */
  const onExtensionPrompt = async (ctx: Context, parentJobId: string, prompt: string) => {
    const user = await userOf(ctx);
    const language = languageOf(user);
    const t = texts(language);
    let job: Job;
    try {
      job = await requestExtension(deps, user.id, parentJobId, { prompt }, actorOf(ctx), {
        limits: extensionLimits(),
      });
    } catch (err) {
      if (err instanceof InsufficientCreditsError || err instanceof RateLimitedError) {
        await replyRefusal(ctx, err, language);
        return;
      }
      if (err instanceof AppError && err.code === "bad_input") {
        const parent = await getJob(deps.db, parentJobId, user.id);
        await askExtensionPrompt(ctx, language, parent, err.message);
        return;
      }
      throw err;
    }
    const subscription = await subscribeChat(deps.db, {
      jobId: job.id,
      userId: user.id,
      chatId: ctx.chat!.id,
    });
    const credits = await balance(deps.db, user.id);
    const note = t.extensionStarted(estimateExtension(job.segmentSeconds), credits.available);
    await postProgress(ctx, language, job.id, subscription.id, note);
  };

  const sendJobStatus = async (ctx: Context, user: User, jobId: string) => {
    const language = languageOf(user);
    const view = await getJobView(deps.db, jobId, user.id);
    await ctx.reply(progressText(view, language), {
      parse_mode: "HTML",
      reply_markup: storyboardKeyboard(deps.publicUrl, jobId, language),
    });
  };

  /**
   * Approves the gate the job waits at. With failed segments it posts a [Retry] offer instead.
   * @returns the outcome in words, and whether it was already posted in the chat.
   */
  const approve = async (
    ctx: Context,
    user: User,
    jobId: string,
    expected?: Gate,
  ): Promise<{ outcome: string; posted: boolean }> => {
    const language = languageOf(user);
    const t = texts(language);
    const view = await getJobView(deps.db, jobId, user.id);
    const gate = gateOf(view.job.status);
    if (!gate || (expected && expected !== gate)) {
      return { outcome: t.nothingToApprove(statusLabel(view.job.status, language)), posted: false };
    }
    if (gate !== "script") {
      const target = gate === "images" ? "image" : "clip";
      const failed = view.segments.filter(
        (s) => (target === "image" ? s.imageStatus : s.clipStatus) === "failed",
      );
      if (failed.length) {
        const outcome = t.failedSegments(failed.map((s) => s.index + 1).join(", "), target);
        await ctx.reply(outcome, {
          reply_markup: new InlineKeyboard().text(t.retry, callbackData.retry(jobId, target)),
        });
        return { outcome, posted: true };
      }
    }
    await approveGate(deps, jobId, gate, actorOf(ctx), user.id);
    return { outcome: t.approved[gate], posted: false };
  };

  const onTopic = async (ctx: Context, topic: string) => {
    const user = await userOf(ctx);
    const language = languageOf(user);
    const t = texts(language);
    let job: Awaited<ReturnType<typeof createJob>>;
    try {
      job = await createJob(deps, user.id, { topic, ...deps.jobDefaults });
    } catch (err) {
      if (!(err instanceof InsufficientCreditsError || err instanceof RateLimitedError)) throw err;
      await replyRefusal(ctx, err, language);
      return;
    }
    const subscription = await subscribeChat(deps.db, {
      jobId: job.id,
      userId: user.id,
      chatId: ctx.chat!.id,
    });
    const view = await getJobView(deps.db, job.id);
    const credits = await balance(deps.db, user.id);
    // The balance line is in the first version only: the notifier's edits show the job's state.
    const text = `${progressText(view, language)}\n${escapeHtml(t.balanceLine(credits.available, credits.reserved))}`;
    const message = await ctx.reply(text, {
      parse_mode: "HTML",
      reply_markup: storyboardKeyboard(deps.publicUrl, job.id, language),
    });
    await setProgressMessage(deps.db, subscription.id, message.message_id);
  };

  bot.command("start", async (ctx) => {
    const user = await userOf(ctx);
    const language = languageOf(user);
    const studio = miniAppUrl(deps.publicUrl);
    if (studio) {
      await ctx.api.setChatMenuButton({
        chat_id: ctx.chat.id,
        menu_button: { type: "web_app", text: texts(language).openStudio, web_app: { url: studio } },
      });
    }
    const payload = ctx.match.trim();
    if (!JOB_ID_PATTERN.test(payload)) return sendWelcome(ctx, language);
    try {
      const job = await getJob(deps.db, payload, user.id);
      await subscribeChat(deps.db, { jobId: job.id, userId: user.id, chatId: ctx.chat.id });
      await sendJobStatus(ctx, user, job.id);
    } catch (err) {
      if (!(err instanceof AppError && err.code === "not_found")) throw err;
      await ctx.reply(texts(language).jobNotFound, { reply_markup: replyKeyboard(language) });
    }
  });

  bot.command("greet", async (ctx) => {
    const user = await userOf(ctx);
    await sendGreetingChooser(ctx, languageOf(user));
  });

  bot.command("login", async (ctx) => {
    const user = await userOf(ctx);
    const t = texts(languageOf(user));
    if (ctx.chat.type !== "private") {
      await ctx.reply(t.loginPrivateOnly, {
        reply_markup: new InlineKeyboard().url(`@${ctx.me.username}`, `https://t.me/${ctx.me.username}`),
      });
      return;
    }
    if (!loginLinksEnabled(deps.publicUrl)) {
      await ctx.reply(t.loginUnavailable);
      return;
    }
    const ttlSeconds = deps.loginLinkTtlSeconds ?? DEFAULT_LOGIN_LINK_TTL_SECONDS;
    const link = await issueLoginLink(deps.db, user.id, deps.publicUrl, new Date(), ttlSeconds);
    // protect_content: the message cannot be forwarded or saved, so the link stays in this chat.
    await ctx.reply(t.loginLink(Math.max(1, Math.floor(ttlSeconds / 60))), {
      protect_content: true,
      reply_markup: new InlineKeyboard().url(t.openDashboard, link.url),
    });
  });

  bot.command("balance", async (ctx) => {
    const user = await userOf(ctx);
    const language = languageOf(user);
    const credits = await balance(deps.db, user.id);
    await ctx.reply(texts(language).balance(credits.available, credits.reserved), {
      reply_markup: buyKeyboard(language),
    });
  });

  bot.command("buy", async (ctx) => {
    const user = await userOf(ctx);
    const language = languageOf(user);
    const pack = packOfCredits(Number(ctx.match.trim()), packs);
    if (pack) return sendInvoice(ctx, language, pack);
    return sendPackChooser(ctx, language);
  });

  // Answered at once, before anything slow: Telegram cancels the checkout after 10 s.
  bot.on("pre_checkout_query", async (ctx) => {
    const query = ctx.preCheckoutQuery;
    if (checkoutPack(query, packs)) {
      await ctx.answerPreCheckoutQuery(true);
      return;
    }
    const language = await languageOfSender(ctx);
    log(`telegram pre-checkout refused: payload ${query.invoice_payload}`, undefined);
    await ctx.answerPreCheckoutQuery(false, { error_message: texts(language).unknownPack });
  });

  bot.on("message:successful_payment", async (ctx) => {
    const payment = ctx.message.successful_payment;
    const user = await userOf(ctx);
    const language = languageOf(user);
    const t = texts(language);
    const pack = packOfPayload(payment.invoice_payload, packs);
    if (!pack || payment.currency !== STARS_CURRENCY) {
      log(
        `telegram payment ${payment.telegram_payment_charge_id} not credited: payload ${payment.invoice_payload}`,
        undefined,
      );
      await ctx.reply(t.paymentNotRecognized(payment.telegram_payment_charge_id));
      return;
    }
    const credited = await creditPayment(deps.db, {
      userId: user.id,
      pack,
      chargeId: payment.telegram_payment_charge_id,
    });
    // A redelivered update books nothing and says nothing again.
    if (credited.isNew) await ctx.reply(t.paid(pack.credits, credited.balance.available));
  });

  bot.on("message:text", async (ctx) => {
    const text = ctx.message.text.trim();
    const pending = pendingInputOf(ctx.message, ctx.me.id);
    if (pending?.kind === "greet") return onGreetingName(ctx, pending.arg, text);
    if (pending?.kind === "extend") return onExtensionPrompt(ctx, pending.arg, text);
    const action = keyboardActionOf(text);
    if (!action) {
      if (text.startsWith("/")) return;
      return onTopic(ctx, text);
    }
    const user = await userOf(ctx);
    const language = languageOf(user);
    const t = texts(language);
    if (action === "start") return sendWelcome(ctx, language);
    const job = await currentJobOfChat(deps.db, ctx.chat.id, user.id);
    if (!job) {
      await ctx.reply(t.noJob, { reply_markup: replyKeyboard(language) });
      return;
    }
    if (action === "status") return sendJobStatus(ctx, user, job.id);
    if (action === "approve") {
      const { outcome, posted } = await approve(ctx, user, job.id);
      if (!posted) await ctx.reply(outcome);
      return;
    }
    await ctx.reply(escapeHtml(t.confirmReject(job.topic)), {
      parse_mode: "HTML",
      reply_markup: new InlineKeyboard()
        .text(t.yesCancel, callbackData.cancel(job.id))
        .text(t.no, callbackData.keep(job.id)),
    });
  });

  bot.on("callback_query:data", async (ctx) => {
    let toast: string | undefined;
    try {
      const user = await userOf(ctx);
      const t = texts(languageOf(user));
      const [kind, jobId = "", arg] = ctx.callbackQuery.data.split(":");
      if (kind === "approve") {
        toast = (
          await approve(
            ctx,
            user,
            jobId,
            GATES.find((g) => g === arg),
          )
        ).outcome;
      } else if (kind === "cancel") {
        try {
          await cancelJob(deps, jobId, actorOf(ctx), user.id);
        } catch (err) {
          if (!isClientError(err)) throw err;
          toast = t.cancelFailed(err.message);
          await ctx.editMessageText(toast);
          return;
        }
        const credits = await balance(deps.db, user.id);
        toast = t.cancelled;
        await ctx.editMessageText(t.cancelledWithBalance(credits.available));
      } else if (kind === "buy") {
        const pack = packs.find((p) => p.id === jobId);
        if (pack) await sendInvoice(ctx, languageOf(user), pack);
        else await sendPackChooser(ctx, languageOf(user));
      } else if (kind === "keep") {
        toast = t.kept;
        await ctx.editMessageText(t.kept);
      } else if (kind === "retry" && (arg === "image" || arg === "clip")) {
        const view = await getJobView(deps.db, jobId, user.id);
        const failed = view.segments.filter(
          (s) => (arg === "image" ? s.imageStatus : s.clipStatus) === "failed",
        );
        for (const s of failed) await requestRegeneration(deps, jobId, s.index, arg, actorOf(ctx), user.id);
        toast = t.retrying;
      } else if (kind === "greet") {
        const template = GREETING_TEMPLATES[jobId];
        if (template) await askGreetingName(ctx, languageOf(user), template);
        else await sendGreetingChooser(ctx, languageOf(user));
      } else if (kind === "extend") {
        const parent = await getJob(deps.db, jobId, user.id);
        if (parent.status !== "completed")
          toast = t.nothingToApprove(statusLabel(parent.status, languageOf(user)));
        else await askExtensionPrompt(ctx, languageOf(user), parent);
      } else if (kind === "new") {
        await ctx.reply(t.sendTopic, { reply_markup: replyKeyboard(languageOf(user)) });
      }
    } catch (err) {
      if (!isClientError(err)) throw err;
      const language = await languageOfSender(ctx);
      toast = refusalOf(err, language).text;
      // A toast has no buttons: not enough credits also gets a message with [Buy credits].
      if (err instanceof InsufficientCreditsError) await replyRefusal(ctx, err, language);
    } finally {
      await ctx.answerCallbackQuery(toast ? { text: toast.slice(0, 200) } : undefined);
    }
  });

  bot.on("callback_query", (ctx) => ctx.answerCallbackQuery());

  return bot;
}

/**
 * One-time bot profile setup (polling start, or once per deployment): the /start, /greet, /login,
 * /balance and /buy commands in English and Russian (https://core.telegram.org/bots/api#setmycommands) and, with an https
 * PUBLIC_URL, the default menu button opening the Mini App (https://core.telegram.org/bots/api#setchatmenubutton).
 */
export async function configureBotProfile(bot: Bot, publicUrl: string | undefined): Promise<void> {
  await bot.api.setMyCommands([
    { command: "start", description: "Start / open the studio" },
    { command: "greet", description: "A personal greeting video by name" },
    { command: "login", description: "A one-time link to the dashboard in your browser" },
    { command: "balance", description: "Your credits" },
    { command: "buy", description: "Buy credits with Telegram Stars" },
  ]);
  await bot.api.setMyCommands(
    [
      { command: "start", description: "Начать / открыть студию" },
      { command: "greet", description: "Видеопоздравление по имени" },
      { command: "login", description: "Одноразовая ссылка на панель в браузере" },
      { command: "balance", description: "Ваши кредиты" },
      { command: "buy", description: "Купить кредиты за Telegram Stars" },
    ],
    { language_code: "ru" },
  );
  const studio = miniAppUrl(publicUrl);
  if (studio) {
    await bot.api.setChatMenuButton({
      menu_button: { type: "web_app", text: texts("en").openStudio, web_app: { url: studio } },
    });
  }
}
