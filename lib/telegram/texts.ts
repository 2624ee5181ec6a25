/**
 * Everything the bot says, in Russian and English, plus the HTML escaping Telegram's HTML parse mode
 * needs (https://core.telegram.org/bots/api#html-style). Messages that embed user text are HTML and
 * escape it; long plain texts (the script) are sent without a parse mode.
 */

import { estimateExtension, estimateJob } from "@/lib/credits/pricing";
import type { JobStatus } from "@/lib/db/schema";
import type { JobView } from "@/lib/studio/jobs";

export type ChatLanguage = "ru" | "en";

/** Escapes `&`, `<`, `>` and `"` for Telegram HTML. */
export function escapeHtml(text: string): string {
  return text
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;");
}

/** Labels of the persistent reply keyboard, per language. */
export const KEYBOARD_LABELS = {
  en: { status: "📊 Status", approve: "✅ Approve", reject: "✖️ Reject", start: "🏠 Start" },
  ru: { status: "📊 Статус", approve: "✅ Одобрить", reject: "✖️ Отклонить", start: "🏠 Старт" },
} as const satisfies Record<ChatLanguage, Record<string, string>>;

export type KeyboardAction = keyof (typeof KEYBOARD_LABELS)["en"];

/** The keyboard action a message text stands for, in either language, or undefined. */
export function keyboardActionOf(text: string): KeyboardAction | undefined {
  for (const labels of Object.values(KEYBOARD_LABELS)) {
    for (const [action, label] of Object.entries(labels)) if (label === text) return action as KeyboardAction;
  }
  return undefined;
}

const STATUS_LABELS: Record<ChatLanguage, Record<JobStatus, string>> = {
  en: {
    queued: "⏳ queued",
    scripting: "✍️ writing the script",
    awaiting_script_approval: "👀 the script waits for your approval",
    planning: "🗂 planning the segments",
    rendering_images: "🖼 rendering images",
    awaiting_images_approval: "👀 the images wait for your approval",
    animating: "🎞 animating clips",
    awaiting_clips_approval: "👀 the clips wait for your approval",
    narrating: "🎙 recording the narration",
    assembling: "🎬 assembling the video",
    completed: "✅ done",
    failed: "❌ failed",
    cancelled: "✖️ cancelled",
    expired: "⌛ expired: no approval in time",
  },
  ru: {
    queued: "⏳ в очереди",
    scripting: "✍️ пишу сценарий",
    awaiting_script_approval: "👀 сценарий ждёт вашего одобрения",
    planning: "🗂 планирую сегменты",
    rendering_images: "🖼 рисую кадры",
    awaiting_images_approval: "👀 кадры ждут вашего одобрения",
    animating: "🎞 оживляю клипы",
    awaiting_clips_approval: "👀 клипы ждут вашего одобрения",
    narrating: "🎙 записываю озвучку",
    assembling: "🎬 собираю видео",
    completed: "✅ готово",
    failed: "❌ ошибка",
    cancelled: "✖️ отменено",
    expired: "⌛ истекло: не одобрено вовремя",
  },
};

const T = {
  en: {
    welcome:
      "Hi! I turn a topic into a narrated video.\n\nSend me a topic, e.g. <i>How coffee is brewed</i>. I will write a script, draw the storyboard and animate it; you approve each step right here or in the studio.",
    openStudio: "Open studio",
    openStoryboard: "Open storyboard",
    openEditor: "Open in editor",
    newVideo: "New video",
    approve: "✅ Approve",
    sendTopic: "Send me the topic of the new video.",
    tooManyJobs: (message: string, _seconds: number) => message,
    plan: (segments: number, seconds: number, aspect: string) =>
      `Plan: ${segments} segments × ${seconds} s ≈ ${Math.round(segments * seconds)} s, ${aspect}`,
    counts: "images {images} · clips {clips} · narration {narration}",
    noJob: "You have no video in progress. Send me a topic to start one.",
    jobNotFound: "I can't find that video.",
    nothingToApprove: (status: string) => `Nothing to approve right now: ${status}.`,
    approved: { script: "Script approved.", images: "Images approved.", clips: "Clips approved." },
    failedSegments: (list: string, target: string) =>
      `Segment ${list}: the ${target} failed. Retry it before approving, or open the storyboard.`,
    retry: "🔁 Retry",
    retrying: "Retrying…",
    confirmReject: (topic: string) => `Cancel “${topic}”? The job stops and cannot be resumed.`,
    yesCancel: "Yes, cancel",
    no: "No",
    cancelled: "Cancelled.",
    kept: "Kept going.",
    scriptReady: "📝 The script is ready. Approve it, or edit it in the storyboard.",
    imagesReady: (ready: number, total: number) =>
      `🖼 Images ready: ${ready}/${total}. Approve them, or open the storyboard to retake any.`,
    clipsReady: (ready: number, total: number) =>
      `🎞 Clips ready: ${ready}/${total}. Approve them to record the narration and assemble the video.`,
    tooBig: (megabytes: number) =>
      `The video is ${megabytes} MB, too big to send here. Watch and download it in the studio:`,
    failedJob: (reason: string) => `The video failed: ${reason}`,
    cost: (credits: number) => `Cost: ${credits} credits`,
    balanceLine: (available: number, reserved: number) =>
      `Your credits: ${available} available, ${reserved} reserved.`,
    balance: (available: number, reserved: number) =>
      `💳 Credits: ${available} available, ${reserved} reserved for videos in progress.`,
    buyCredits: "⭐ Buy credits",
    choosePack: "Choose a pack of credits, paid in Telegram Stars:",
    packButton: (credits: number, stars: number) => `${credits} credits · ${stars} ⭐`,
    invoiceTitle: (credits: number) => `${credits} Kadr credits`,
    invoiceDescription: (credits: number, seconds: number, perVideo: number) =>
      `${credits} credits for making videos in Kadr. A ${seconds}-second video costs about ${perVideo} credits.`,
    invoiceLabel: (credits: number) => `${credits} credits`,
    unknownPack: "This offer is no longer available. Send /buy to see the current packs.",
    paid: (credits: number, available: number) =>
      `✅ ${credits} credits added. You now have ${available} credits available.`,
    paymentNotRecognized: (chargeId: string) =>
      `The payment went through, but I don't recognize what it was for. Please write to support and quote this id: ${chargeId}`,
    notEnoughCredits: (needed: number, balance: number, shortfall: number) =>
      `Not enough credits: this needs ${needed} and you have ${balance}. Top up at least ${shortfall} credits to go on.`,
    cancelledWithBalance: (available: number) =>
      `Cancelled. Unused credits go back to you; you now have ${available} credits available.`,
    cancelFailed: (reason: string) => `Could not cancel: ${reason}`,
    greetingButton: "🎁 Personal greeting",
    welcomeExtras: "🎬 Open the studio, or make a 🎁 personal greeting video by name.",
    chooseGreeting: "🎁 Choose a greeting. Each one is a short video that says the name you give.",
    greetingOption: (title: string, credits: number) => `${title} · ${credits} credits`,
    askName: (description: string, credits: number) =>
      `${description}. Costs ${credits} credits.\nWho is it for? Reply to this message with the name.`,
    namePlaceholder: "Name",
    greetingStarted: (charged: number, available: number) =>
      `🎁 Generating your greeting; I'll send it here. Charged ${charged} credits, ${available} left.`,
    greetingJoined: (charged: number, available: number) =>
      charged > 0
        ? `🎁 Someone is already generating this greeting; I'll send it here when it's ready. Charged ${charged} credits, ${available} left.`
        : "🎁 This greeting is already being generated; I'll send it here when it's ready.",
    greetingReady: (charged: number, available: number) =>
      charged > 0
        ? `🎁 Your greeting was ready. Charged ${charged} credits, ${available} left.`
        : "🎁 Here is your greeting again.",
    greetingReadyNoVideo: "🎁 Your greeting is ready. Watch it in the studio:",
    extend: "➕ Extend",
    askExtension: (title: string, seconds: number, credits: number) =>
      `➕ Extend “${title}” by one ${seconds}-second segment for ${credits} credits.\nReply to this message with what the new segment should say.`,
    extensionPlaceholder: "What the new segment says",
    extensionPlan: (seconds: number) => `Extension: one more segment of ${seconds} s`,
    extensionStarted: (credits: number, available: number) =>
      `➕ Extending the video for ${credits} credits (${available} left); I'll send the longer video here.`,
    tryAgain: "Try again: reply to this message.",
    expiredNotice: (title: string, reason: string) => `⌛ “${title}” expired: ${reason}.`,
    failedNotice: (title: string, reason: string) => `❌ “${title}” failed: ${reason}`,
    creditsBack: (back: number, available: number) =>
      `Your ${back} reserved credits are back; you have ${available} credits available.`,
    welcomeLogin:
      "💻 On a computer? Send /login and I'll give you a link that opens the dashboard in your browser.",
    loginLink: (minutes: number) =>
      `🔐 Your sign-in link to the Kadr dashboard. It works once and expires in ${minutes} ${minutes === 1 ? "minute" : "minutes"}. Don't forward it: it signs in as you.`,
    openDashboard: "Open dashboard",
    loginUnavailable:
      "I can't send a sign-in link: this Kadr server has no public https address (PUBLIC_URL) for the dashboard yet.",
    loginPrivateOnly: "I send sign-in links only in our private chat. Open it and send /login there:",
  },
  ru: {
    welcome:
      "Привет! Я превращаю тему в видео с озвучкой.\n\nПришлите тему, например <i>Как варят кофе</i>. Я напишу сценарий, нарисую раскадровку и оживлю её, а вы одобряете каждый шаг прямо здесь или в студии.",
    openStudio: "Открыть студию",
    openStoryboard: "Открыть раскадровку",
    openEditor: "Открыть в редакторе",
    newVideo: "Новое видео",
    approve: "✅ Одобрить",
    sendTopic: "Пришлите тему нового видео.",
    tooManyJobs: (_message: string, seconds: number) =>
      `Сейчас нельзя начать ещё одно видео: достигнут лимит. Попробуйте снова через ${waitRu(seconds)}.`,
    plan: (segments: number, seconds: number, aspect: string) =>
      `План: ${segments} сегм. × ${seconds} с ≈ ${Math.round(segments * seconds)} с, ${aspect}`,
    counts: "кадры {images} · клипы {clips} · озвучка {narration}",
    noJob: "Сейчас нет видео в работе. Пришлите тему, чтобы начать.",
    jobNotFound: "Не нахожу такое видео.",
    nothingToApprove: (status: string) => `Сейчас нечего одобрять: ${status}.`,
    approved: { script: "Сценарий одобрен.", images: "Кадры одобрены.", clips: "Клипы одобрены." },
    failedSegments: (list: string, target: string) =>
      `Сегмент ${list}: не получилось (${target}). Повторите его перед одобрением или откройте раскадровку.`,
    retry: "🔁 Повторить",
    retrying: "Повторяю…",
    confirmReject: (topic: string) => `Отменить «${topic}»? Работа остановится, продолжить её будет нельзя.`,
    yesCancel: "Да, отменить",
    no: "Нет",
    cancelled: "Отменено.",
    kept: "Продолжаю.",
    scriptReady: "📝 Сценарий готов. Одобрите его или отредактируйте в раскадровке.",
    imagesReady: (ready: number, total: number) =>
      `🖼 Кадры готовы: ${ready}/${total}. Одобрите их или откройте раскадровку, чтобы переснять.`,
    clipsReady: (ready: number, total: number) =>
      `🎞 Клипы готовы: ${ready}/${total}. Одобрите их, и я запишу озвучку и соберу видео.`,
    tooBig: (megabytes: number) =>
      `Видео весит ${megabytes} МБ — слишком много для отправки сюда. Смотрите и скачивайте в студии:`,
    failedJob: (reason: string) => `Видео не получилось: ${reason}`,
    cost: (credits: number) => `Стоимость: ${credits} кредитов`,
    balanceLine: (available: number, reserved: number) =>
      `Ваши кредиты: ${available} доступно, ${reserved} зарезервировано.`,
    balance: (available: number, reserved: number) =>
      `💳 Кредиты: ${available} доступно, ${reserved} зарезервировано под видео в работе.`,
    buyCredits: "⭐ Купить кредиты",
    choosePack: "Выберите пакет кредитов, оплата в Telegram Stars:",
    packButton: (credits: number, stars: number) => `${credits} кредитов · ${stars} ⭐`,
    invoiceTitle: (credits: number) => `${credits} кредитов Kadr`,
    invoiceDescription: (credits: number, seconds: number, perVideo: number) =>
      `${credits} кредитов на создание видео в Kadr. Видео на ${seconds} с стоит около ${perVideo} кредитов.`,
    invoiceLabel: (credits: number) => `${credits} кредитов`,
    unknownPack: "Это предложение больше недоступно. Отправьте /buy, чтобы увидеть актуальные пакеты.",
    paid: (credits: number, available: number) =>
      `✅ Зачислено ${credits} кредитов. Теперь доступно ${available}.`,
    paymentNotRecognized: (chargeId: string) =>
      `Оплата прошла, но я не понимаю, за что она. Напишите в поддержку и укажите этот идентификатор: ${chargeId}`,
    notEnoughCredits: (needed: number, balance: number, shortfall: number) =>
      `Не хватает кредитов: нужно ${needed}, а у вас ${balance}. Пополните баланс хотя бы на ${shortfall}, чтобы продолжить.`,
    cancelledWithBalance: (available: number) =>
      `Отменено. Неизрасходованные кредиты возвращаются; сейчас доступно ${available}.`,
    cancelFailed: (reason: string) => `Не удалось отменить: ${reason}`,
    greetingButton: "🎁 Поздравление по имени",
    welcomeExtras: "🎬 Откройте студию или сделайте 🎁 видеопоздравление по имени.",
    chooseGreeting:
      "🎁 Выберите поздравление. Это короткое видео, в котором прозвучит имя, которое вы назовёте.",
    greetingOption: (title: string, credits: number) => `${title} · ${credits} кредитов`,
    askName: (description: string, credits: number) =>
      `${description}. Стоимость: ${credits} кредитов.\nКого поздравляем? Ответьте на это сообщение именем.`,
    namePlaceholder: "Имя",
    greetingStarted: (charged: number, available: number) =>
      `🎁 Делаю поздравление и пришлю его сюда. Списано ${charged} кредитов, осталось ${available}.`,
    greetingJoined: (charged: number, available: number) =>
      charged > 0
        ? `🎁 Такое поздравление уже кто-то делает — пришлю его сюда, когда будет готово. Списано ${charged} кредитов, осталось ${available}.`
        : "🎁 Это поздравление уже в работе — пришлю его сюда, когда будет готово.",
    greetingReady: (charged: number, available: number) =>
      charged > 0
        ? `🎁 Поздравление уже было готово. Списано ${charged} кредитов, осталось ${available}.`
        : "🎁 Вот ваше поздравление ещё раз.",
    greetingReadyNoVideo: "🎁 Поздравление готово. Смотрите его в студии:",
    extend: "➕ Продлить",
    askExtension: (title: string, seconds: number, credits: number) =>
      `➕ Продлить «${title}» на один сегмент ${seconds} с за ${credits} кредитов.\nОтветьте на это сообщение текстом нового сегмента.`,
    extensionPlaceholder: "Что скажет новый сегмент",
    extensionPlan: (seconds: number) => `Продление: ещё один сегмент ${seconds} с`,
    extensionStarted: (credits: number, available: number) =>
      `➕ Продлеваю видео за ${credits} кредитов (осталось ${available}); пришлю более длинное видео сюда.`,
    tryAgain: "Попробуйте ещё раз: ответьте на это сообщение.",
    expiredNotice: (title: string, reason: string) => `⌛ Время вышло для «${title}»: ${reason}.`,
    failedNotice: (title: string, reason: string) => `❌ «${title}» не получилось: ${reason}`,
    creditsBack: (back: number, available: number) =>
      `Зарезервированные ${back} кредитов вернулись к вам; доступно ${available}.`,
    welcomeLogin: "💻 За компьютером? Отправьте /login — пришлю ссылку, которая откроет панель в браузере.",
    loginLink: (minutes: number) =>
      `🔐 Ваша ссылка для входа в панель Kadr. Она одноразовая и действует ${minutes} ${plural(minutes, "минуту", "минуты", "минут")}. Не пересылайте её: она входит от вашего имени.`,
    openDashboard: "Открыть панель",
    loginUnavailable:
      "Не могу прислать ссылку для входа: у этого сервера Kadr пока нет публичного https-адреса панели (PUBLIC_URL).",
    loginPrivateOnly:
      "Ссылки для входа я присылаю только в личном чате. Откройте его и отправьте /login там:",
  },
} as const;

/** "45 секунд", "1 минуту", "13 минут" (whole minutes, rounded up, from 60 s on). */
export function waitRu(seconds: number): string {
  if (seconds < 60) return `${seconds} ${plural(seconds, "секунду", "секунды", "секунд")}`;
  const minutes = Math.ceil(seconds / 60);
  return `${minutes} ${plural(minutes, "минуту", "минуты", "минут")}`;
}

function plural(n: number, one: string, few: string, many: string): string {
  const mod10 = n % 10;
  const mod100 = n % 100;
  if (mod10 === 1 && mod100 !== 11) return one;
  if (mod10 >= 2 && mod10 <= 4 && (mod100 < 12 || mod100 > 14)) return few;
  return many;
}

/** The phrase book of one language. */
export function texts(language: ChatLanguage) {
  return T[language];
}

/** A job status in words, e.g. "🖼 rendering images". */
export function statusLabel(status: JobStatus, language: ChatLanguage): string {
  return STATUS_LABELS[language][status] ?? status;
}

/** Stage counts as "images 2/3 · clips 0/3 · narration 0/3". */
export function countsLine(view: JobView, language: ChatLanguage): string {
  const total = view.counts.segments;
  return T[language].counts
    .replace("{images}", `${view.counts.images}/${total}`)
    .replace("{clips}", `${view.counts.clips}/${total}`)
    .replace("{narration}", `${view.counts.narration}/${total}`);
}

/**
 * The job's progress message (Telegram HTML): topic, plan, cost estimate in credits
 * (lib/credits/pricing.ts `estimateJob` of the job's format), status and stage counts. Edited in
 * place as the job moves on, so it must be a pure function of the job's state.
 */
export function progressText(view: JobView, language: ChatLanguage): string {
  const { job } = view;
  const t = T[language];
  const lines = [`🎬 <b>${escapeHtml(job.script?.title || job.topic)}</b>`];
  if (job.source === "extension") {
    lines.push(escapeHtml(t.extensionPlan(job.segmentSeconds)));
    lines.push(escapeHtml(t.cost(estimateExtension(job.segmentSeconds))));
  } else {
    lines.push(escapeHtml(t.plan(job.segmentCount, job.segmentSeconds, job.aspect)));
    // A greeting's price is per requester (its template's), not the job's: the first reply says it.
    if (job.source !== "greeting") lines.push(escapeHtml(t.cost(estimateJob(job).total)));
  }
  lines.push(statusLabel(job.status, language), countsLine(view, language));
  if (job.status === "failed" && job.error) lines.push(escapeHtml(t.failedJob(job.error)));
  return lines.join("\n");
}
