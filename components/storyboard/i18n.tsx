"use client";

/**
 * UI strings in Russian and English. The language comes from the user's choice (remembered in
 * localStorage), else from Telegram's `language_code` in the Mini App or the browser's language on
 * the dashboard; Russian for ru/uk/be/kk, English otherwise. `useT()` gives the current dictionary.
 */
import { createContext, type ReactNode, useCallback, useContext, useEffect, useMemo, useState } from "react";
import type { Gate, JobStatus } from "@/lib/db/schema";

/** A UI language. */
export type Locale = "ru" | "en";

/** Russian plural form: 1 кадр, 2 кадра, 5 кадров. */
function ruPlural(n: number, one: string, few: string, many: string): string {
  const mod10 = n % 10;
  const mod100 = n % 100;
  if (mod10 === 1 && mod100 !== 11) return one;
  if (mod10 >= 2 && mod10 <= 4 && (mod100 < 12 || mod100 > 14)) return few;
  return many;
}

const en = {
  appTagline: "Topic in, narrated video out — approved stage by stage.",
  /** Short unit of seconds. */
  sec: "s",
  /** `segments × seconds` format of a job, e.g. "10 × 5 s". */
  format: (segments: number, seconds: number) => `${segments} × ${seconds} s`,
  language: "Language",
  signOut: "Sign out",
  localMode: "Local mode",
  loading: "Loading…",
  retry: "Try again",
  close: "Close",
  save: "Save",
  saving: "Saving…",
  saved: "Saved",
  cancel: "Cancel",
  cancelling: "Cancelling…",
  cancelVideo: "Cancel video",
  back: "Back",
  history: "History",
  newVideo: "New video",
  newVideoHint:
    "Describe it in a sentence. You approve the script, the images and the clips before narration.",
  topic: "Topic",
  topicPlaceholder: "How a lighthouse keeper starts the day",
  /** The form's two sources: a topic Kadr writes the script for, or the user's own script. */
  sourceMode: "What to start from",
  fromTopic: "From an idea",
  fromScript: "Paste a script",
  script: "Script",
  scriptPlaceholder: "Paste the narration. Kadr splits it into segments and keeps your words.",
  scriptCount: (n: number, max: number) =>
    `${n.toLocaleString("en")} / ${max.toLocaleString("en")} characters`,
  length: "Length",
  presetShort: "50 s",
  presetShortHint: "10 × 5 s",
  presetLong: "4 min",
  presetLongHint: "48 × 5 s",
  presetCustom: "Custom",
  segments: "Segments",
  secondsEach: "Seconds each",
  aspect: "Aspect",
  aspectHints: { "16:9": "Landscape", "9:16": "Vertical", "1:1": "Square" } as Record<string, string>,
  narrationLanguage: "Narration",
  detectLanguage: "Detect from topic",
  createVideo: "Create video",
  creating: "Creating…",
  ofVideo: (d: string) => `≈ ${d} of video`,
  videos: (n: number) => `${n} ${n === 1 ? "video" : "videos"}`,
  noVideos: "No videos yet",
  noVideosHint: "Describe one in the form and it will show up here, stage by stage.",
  couldNotLoad: (m: string) => `Could not load: ${m}`,
  jobNotFound: "This video does not exist or belongs to someone else.",
  timeAgo: (minutes: number) =>
    minutes < 1 ? "just now" : minutes < 60 ? `${minutes} min ago` : `${Math.round(minutes / 60)} h ago`,
  status: {
    queued: "Queued",
    scripting: "Writing script",
    awaiting_script_approval: "Script ready for review",
    planning: "Planning segments",
    rendering_images: "Rendering images",
    awaiting_images_approval: "Images ready for review",
    animating: "Animating clips",
    awaiting_clips_approval: "Clips ready for review",
    narrating: "Narrating",
    assembling: "Assembling video",
    completed: "Completed",
    failed: "Failed",
    cancelled: "Cancelled",
    expired: "Expired (no approval in time)",
  } satisfies Record<JobStatus, string>,
  stages: "Stages",
  steps: { script: "Script", images: "Images", clips: "Clips", video: "Video" },
  stage: { images: "images", clips: "clips", narration: "narration" },
  approve: (gate: Gate, n: number) =>
    gate === "script" ? "Approve script" : `Approve ${n} ${gate === "images" ? "images" : "clips"}`,
  approving: "Approving…",
  approved: "Approved — continuing…",
  waitingFor: (done: number, total: number) => `Rendering ${done}/${total}…`,
  // Script review
  scriptTitle: "Title",
  writingScript: "Writing the script…",
  sections: { intro: "Intro", main: "Main", outro: "Outro" },
  sectionSummary: (segments: number, seconds: number) =>
    `${segments} ${segments === 1 ? "segment" : "segments"} · ≈ ${seconds} s`,
  segmentLabel: (n: number) => `Segment ${n}`,
  narration: "Narration",
  estimated: (s: number) => `≈ ${s.toFixed(1)} s`,
  tooLong: (max: number) => `longer than ${max} s: the voice will speed up`,
  editAsText: "Edit as text",
  editSegments: "Edit by segment",
  sectionText: (section: string) => `${section} text`,
  overflow: (s: number) =>
    `The script is about ${s} s longer than the video; shorten it or the voice speeds up.`,
  // Images and clips
  imageGrid: "Segment images",
  clipGrid: "Segment clips",
  rendering: "Rendering…",
  animating: "Animating…",
  failedTake: "Failed",
  /** Under a failed take's reason in the segment sheet: a safety refusal needs a new prompt. */
  safetyHint: "The provider's safety filter refused this prompt. Reword the prompt below and regenerate.",
  failedHint: "Regenerate to try again, or change the prompt first.",
  enlarge: (n: number) => `Open segment ${n}`,
  caption: "Caption",
  imagePrompt: "Image prompt",
  motionPrompt: "Motion prompt",
  regenerate: "Regenerate",
  regenerateImage: "Regenerate image",
  regenerateClip: "Regenerate clip",
  regenerating: "Regenerating…",
  uploadImage: "Upload image",
  uploading: "Uploading…",
  uploadHint: "PNG, JPEG or WebP up to 10 MB; cropped to the video frame.",
  editInstruction: "Edit with instruction",
  editInstructionPlaceholder: "e.g. make the sky red",
  editImage: "Edit image",
  editing: "Editing…",
  editHint: "Changes this picture as you say and keeps the rest; costs like a new image.",
  playClip: (n: number) => `Play clip ${n}`,
  // Final
  finalVideo: "Video",
  download: "Download MP4",
  sendToChat: "Send to Telegram chat",
  sendingToChat: "Sending…",
  /** After a send: a link ("link") means the video was too big to attach. */
  sentToChat: (method: string): string =>
    method === "link" ? "Too big for Telegram: a link was sent to your chat" : "Sent to your Telegram chat",
  narratingProgress: "Narrating",
  assembling: "Assembling the video…",
  failedTitle: "The video failed",
  cancelledTitle: "This video was cancelled",
  // Credits
  credits: (n: number) => `${n} ${n === 1 ? "credit" : "credits"}`,
  cost: "Cost",
  /** The job header's spend: credits booked by provider calls so far, and their dollar estimate. */
  spentSoFar: (credits: number, usd: number) =>
    `Spent so far: ${credits} ${credits === 1 ? "credit" : "credits"}${usd > 0 ? ` · ≈ $${usd.toFixed(2)}` : ""}`,
  balance: "Balance",
  reservedNote: (n: number) => `${n} held by running videos`,
  notEnoughCredits: (needed: number, available: number) =>
    `Not enough credits: this needs ${needed}, you have ${available}. Top up ${needed - available} to start it.`,
  rateLimited: (seconds: number) => `Too many requests right now: try again in ${seconds} s.`,
  topUp: "Buy credits in the bot",
  creditsUnavailable: "Could not load your balance",
  // Extend, restart, history pages
  extendTitle: "Extend this video",
  extendHint: (seconds: number) => `Adds one ${seconds} s segment at the end. Write what it says.`,
  extendPrompt: "What happens next",
  extendPlaceholder: "The keeper waves as the first ship sails in",
  extendFor: (price: string) => `Extend · ${price}`,
  extending: "Starting the extension…",
  extensionOf: "Extends",
  theOriginal: "the original video",
  extension: "Extension",
  expiredTitle: "This video expired: nobody approved it in time",
  startAgain: "Start again with the same topic",
  startingAgain: "Starting…",
  loadMore: "Load more",
  loadingMore: "Loading…",
  // Auth
  signInTitle: "Sign in to Kadr",
  signInHint: "Sign in with your Telegram account to see and edit your videos.",
  signInUnavailable:
    "Telegram sign-in needs TELEGRAM_BOT_USERNAME on the server. Open Kadr from the Telegram bot, or run it without TELEGRAM_BOT_TOKEN on this machine.",
  openInTelegram: "Open this page from the Kadr bot in Telegram.",
  reopenMiniApp: "Your Telegram session has expired: close and reopen the Mini App.",
  signInLinkHint: "Or send /login to the bot in Telegram for a one-time sign-in link.",
  // The one-time sign-in link page (/login)
  loginLinkHint:
    "You opened a one-time sign-in link from the Kadr bot. Continue to open your dashboard in this browser.",
  loginLinkAs: "Signing in as",
  loginLinkContinue: "Continue",
  loginLinkContinuing: "Signing in…",
  loginLinkExpiresIn: (minutes: number) => `The link works once and expires in ${minutes}\u00a0min.`,
  loginLinkFailed: {
    login_link_unknown: "This sign-in link is not valid",
    login_link_used: "This sign-in link was already used",
    login_link_expired: "This sign-in link has expired",
  },
  loginLinkNewHint:
    "Send /login to the bot in Telegram to get a new link. Each link works once, for a few minutes.",
  openBot: (username: string) => `Open @${username}`,
  openDashboard: "Open the dashboard",
};

/** The shape of a dictionary. */
export type Dictionary = typeof en;

const ru: Dictionary = {
  appTagline: "Тема на входе — озвученное видео на выходе, этап за этапом.",
  sec: "с",
  format: (segments, seconds) => `${segments} × ${seconds} с`,
  language: "Язык",
  signOut: "Выйти",
  localMode: "Локальный режим",
  loading: "Загрузка…",
  retry: "Повторить",
  close: "Закрыть",
  save: "Сохранить",
  saving: "Сохраняю…",
  saved: "Сохранено",
  cancel: "Отмена",
  cancelling: "Отменяю…",
  cancelVideo: "Отменить видео",
  back: "Назад",
  history: "История",
  newVideo: "Новое видео",
  newVideoHint: "Опишите его одной фразой. Сценарий, кадры и клипы вы утверждаете до озвучки.",
  topic: "Тема",
  topicPlaceholder: "Как смотритель маяка начинает день",
  sourceMode: "С чего начать",
  fromTopic: "Из идеи",
  fromScript: "Свой сценарий",
  script: "Сценарий",
  scriptPlaceholder: "Вставьте текст озвучки. Kadr разобьёт его на сегменты и сохранит ваши слова.",
  scriptCount: (n: number, max: number) =>
    `${n.toLocaleString("ru")} / ${max.toLocaleString("ru")} ${ruPlural(max, "символ", "символа", "символов")}`,
  length: "Длина",
  presetShort: "50 с",
  presetShortHint: "10 × 5 с",
  presetLong: "4 мин",
  presetLongHint: "48 × 5 с",
  presetCustom: "Своя",
  segments: "Сегменты",
  secondsEach: "Секунд каждый",
  aspect: "Формат",
  aspectHints: { "16:9": "Широкий", "9:16": "Вертикаль", "1:1": "Квадрат" },
  narrationLanguage: "Озвучка",
  detectLanguage: "По теме",
  createVideo: "Создать видео",
  creating: "Создаю…",
  ofVideo: (d) => `≈ ${d} видео`,
  videos: (n) => `${n} ${ruPlural(n, "видео", "видео", "видео")}`,
  noVideos: "Видео пока нет",
  noVideosHint: "Опишите первое в форме — оно появится здесь и будет обновляться по этапам.",
  couldNotLoad: (m) => `Не удалось загрузить: ${m}`,
  jobNotFound: "Такого видео нет или оно принадлежит другому пользователю.",
  timeAgo: (minutes) =>
    minutes < 1
      ? "только что"
      : minutes < 60
        ? `${minutes} мин назад`
        : `${Math.round(minutes / 60)} ч назад`,
  status: {
    queued: "В очереди",
    scripting: "Пишу сценарий",
    awaiting_script_approval: "Сценарий ждёт проверки",
    planning: "Планирую сегменты",
    rendering_images: "Рисую кадры",
    awaiting_images_approval: "Кадры ждут проверки",
    animating: "Оживляю клипы",
    awaiting_clips_approval: "Клипы ждут проверки",
    narrating: "Озвучиваю",
    assembling: "Собираю видео",
    completed: "Готово",
    failed: "Ошибка",
    cancelled: "Отменено",
    expired: "Истекло (нет одобрения вовремя)",
  },
  stages: "Этапы",
  steps: { script: "Сценарий", images: "Кадры", clips: "Клипы", video: "Видео" },
  stage: { images: "кадры", clips: "клипы", narration: "озвучка" },
  approve: (gate, n) =>
    gate === "script"
      ? "Утвердить сценарий"
      : gate === "images"
        ? `Утвердить ${n} ${ruPlural(n, "кадр", "кадра", "кадров")}`
        : `Утвердить ${n} ${ruPlural(n, "клип", "клипа", "клипов")}`,
  approving: "Утверждаю…",
  approved: "Утверждено — продолжаю…",
  waitingFor: (done, total) => `Готово ${done}/${total}…`,
  scriptTitle: "Название",
  writingScript: "Пишу сценарий…",
  sections: { intro: "Вступление", main: "Основная часть", outro: "Финал" },
  sectionSummary: (segments, seconds) =>
    `${segments} ${ruPlural(segments, "сегмент", "сегмента", "сегментов")} · ≈ ${seconds} с`,
  segmentLabel: (n) => `Сегмент ${n}`,
  narration: "Текст",
  estimated: (s) => `≈ ${s.toFixed(1).replace(".", ",")} с`,
  tooLong: (max) => `длиннее ${max} с: голос ускорится`,
  editAsText: "Править текстом",
  editSegments: "Править по сегментам",
  sectionText: (section) => `Текст: ${section}`,
  overflow: (s) => `Сценарий примерно на ${s} с длиннее видео — сократите его, иначе голос ускорится.`,
  imageGrid: "Кадры сегментов",
  clipGrid: "Клипы сегментов",
  rendering: "Рисую…",
  animating: "Оживляю…",
  failedTake: "Ошибка",
  safetyHint:
    "Фильтр безопасности провайдера отклонил этот промпт. Перепишите промпт ниже и перегенерируйте.",
  failedHint: "Перегенерируйте, чтобы попробовать снова, или сначала измените промпт.",
  enlarge: (n) => `Открыть сегмент ${n}`,
  caption: "Подпись",
  imagePrompt: "Промпт кадра",
  motionPrompt: "Промпт движения",
  regenerate: "Перегенерировать",
  regenerateImage: "Перерисовать кадр",
  regenerateClip: "Переснять клип",
  regenerating: "Перегенерирую…",
  uploadImage: "Загрузить своё",
  uploading: "Загружаю…",
  uploadHint: "PNG, JPEG или WebP до 10 МБ; обрежется под кадр видео.",
  editInstruction: "Изменить по описанию",
  editInstructionPlaceholder: "например: сделай небо красным",
  editImage: "Изменить кадр",
  editing: "Изменяю…",
  editHint: "Меняет этот кадр как сказано, остальное сохраняет; стоит как новый кадр.",
  playClip: (n) => `Воспроизвести клип ${n}`,
  finalVideo: "Видео",
  download: "Скачать MP4",
  sendToChat: "Отправить в чат Telegram",
  sendingToChat: "Отправляю…",
  sentToChat: (method: string) =>
    method === "link"
      ? "Слишком большое для Telegram: в чат отправлена ссылка"
      : "Отправлено в ваш чат Telegram",
  narratingProgress: "Озвучка",
  assembling: "Собираю видео…",
  failedTitle: "Видео не получилось",
  cancelledTitle: "Видео отменено",
  credits: (n) => `${n} ${ruPlural(n, "кредит", "кредита", "кредитов")}`,
  cost: "Стоимость",
  spentSoFar: (credits: number, usd: number) =>
    `Потрачено: ${credits} ${ruPlural(credits, "кредит", "кредита", "кредитов")}${usd > 0 ? ` · ≈ $${usd.toFixed(2)}` : ""}`,
  balance: "Баланс",
  reservedNote: (n) => `${n} занято идущими видео`,
  notEnoughCredits: (needed, available) =>
    `Не хватает кредитов: нужно ${needed}, у вас ${available}. Пополните на ${needed - available}, чтобы начать.`,
  rateLimited: (seconds) => `Слишком много запросов: попробуйте через ${seconds} с.`,
  topUp: "Купить кредиты в боте",
  creditsUnavailable: "Не удалось загрузить баланс",
  extendTitle: "Продлить видео",
  extendHint: (seconds) => `Добавит в конец один сегмент на ${seconds} с. Напишите, о чём он.`,
  extendPrompt: "Что дальше",
  extendPlaceholder: "Смотритель машет рукой первому кораблю",
  extendFor: (price) => `Продлить · ${price}`,
  extending: "Запускаю продление…",
  extensionOf: "Продолжение",
  theOriginal: "исходного видео",
  extension: "Продление",
  expiredTitle: "Срок истёк: видео не одобрили вовремя",
  startAgain: "Начать заново с той же темой",
  startingAgain: "Запускаю…",
  loadMore: "Показать ещё",
  loadingMore: "Загрузка…",
  signInTitle: "Вход в Kadr",
  signInHint: "Войдите через Telegram, чтобы видеть и править свои видео.",
  signInUnavailable:
    "Для входа через Telegram на сервере нужен TELEGRAM_BOT_USERNAME. Откройте Kadr из бота в Telegram или запустите его без TELEGRAM_BOT_TOKEN на этом компьютере.",
  openInTelegram: "Откройте эту страницу из бота Kadr в Telegram.",
  reopenMiniApp: "Сессия Telegram истекла: закройте и снова откройте мини-приложение.",
  signInLinkHint: "Или отправьте /login боту в Telegram — он пришлёт одноразовую ссылку для входа.",
  loginLinkHint:
    "Вы открыли одноразовую ссылку для входа от бота Kadr. Продолжите, чтобы открыть свою панель в этом браузере.",
  loginLinkAs: "Вход как",
  loginLinkContinue: "Продолжить",
  loginLinkContinuing: "Вхожу…",
  loginLinkExpiresIn: (minutes) => `Ссылка одноразовая и действует ещё ${minutes}\u00a0мин.`,
  loginLinkFailed: {
    login_link_unknown: "Эта ссылка для входа недействительна",
    login_link_used: "Эта ссылка для входа уже использована",
    login_link_expired: "Срок действия ссылки для входа истёк",
  },
  loginLinkNewHint:
    "Отправьте /login боту в Telegram, чтобы получить новую ссылку. Каждая ссылка работает один раз и несколько минут.",
  openBot: (username) => `Открыть @${username}`,
  openDashboard: "Открыть панель",
};

const DICTIONARIES: Record<Locale, Dictionary> = { en, ru };
const STORAGE_KEY = "kadr.locale";

/** "ru" for Russian-speaking language codes (ru, uk, be, kk), otherwise "en". */
export function localeFromCode(code: string | undefined | null): Locale {
  return code && /^(ru|uk|be|kk)\b/i.test(code) ? "ru" : "en";
}

interface LocaleState {
  locale: Locale;
  t: Dictionary;
  setLocale: (locale: Locale) => void;
}

const LocaleContext = createContext<LocaleState>({ locale: "en", t: en, setLocale: () => undefined });

/**
 * Provides the UI language. Renders English on the server and switches right after mount to the
 * remembered choice, else to `detected` (Telegram's language_code) or the browser's language.
 */
export function LocaleProvider({ detected, children }: { detected?: string; children: ReactNode }) {
  const [locale, setLocaleState] = useState<Locale>("en");
  useEffect(() => {
    const stored = window.localStorage.getItem(STORAGE_KEY);
    setLocaleState(
      stored === "ru" || stored === "en" ? stored : localeFromCode(detected ?? navigator.language),
    );
  }, [detected]);
  useEffect(() => {
    document.documentElement.lang = locale;
  }, [locale]);
  const setLocale = useCallback((next: Locale) => {
    window.localStorage.setItem(STORAGE_KEY, next);
    setLocaleState(next);
  }, []);
  const value = useMemo(() => ({ locale, t: DICTIONARIES[locale], setLocale }), [locale, setLocale]);
  return <LocaleContext.Provider value={value}>{children}</LocaleContext.Provider>;
}

/** The dictionary of one language, for screens whose language the server decides (the sign-in link page). */
export function dictionaryOf(locale: Locale): Dictionary {
  return DICTIONARIES[locale];
}

/** The current language, its dictionary and the setter. */
export function useLocale(): LocaleState {
  return useContext(LocaleContext);
}

/** The current dictionary. */
export function useT(): Dictionary {
  return useContext(LocaleContext).t;
}

/** A compact RU/EN switch. */
export function LocaleSwitch() {
  const { locale, setLocale, t } = useLocale();
  return (
    <fieldset className="inline-flex rounded-full bg-surface-2 p-0.5 text-xs font-semibold">
      <legend className="sr-only">{t.language}</legend>
      {(["ru", "en"] as const).map((value) => (
        <label
          key={value}
          className={`cursor-pointer rounded-full px-2.5 py-1 uppercase transition ${
            locale === value ? "bg-surface text-fg shadow-sm" : "text-muted hover:text-fg"
          }`}
        >
          <input
            type="radio"
            name="kadr-locale"
            value={value}
            checked={locale === value}
            onChange={() => setLocale(value)}
            className="sr-only"
          />
          {value}
        </label>
      ))}
    </fieldset>
  );
}
