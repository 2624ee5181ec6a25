/**
 * The configuration check every long-running entry point makes before it starts: the app server
 * (instrumentation.ts, in both engine modes), `npm run video` and `npm run bot`. A selected
 * provider or storage whose settings are missing stops the process with one message listing every
 * setting to fix (README, "Configuration"), instead of failing the first job that reaches it.
 */
import { ConfigError, type SettingProblem } from "@/lib/env";
import { missingProviderSettings } from "@/lib/providers";
import { missingStorageSettings } from "@/lib/storage";

/**
 * Every unusable setting of the selected providers (KADR_LLM, KADR_IMAGE, KADR_VIDEO, KADR_TTS) and
 * storage (KADR_STORAGE), one entry per setting with each selection that needs it.
 *
 * @param env environment to read (default `process.env`).
 * @returns lines like `RUNWAYML_API_SECRET is not set (needed by KADR_IMAGE=runway, KADR_VIDEO=runway)`;
 *   empty when the configuration is usable. No line contains a setting's value, except a key file's path.
 */
export function startupSettingProblems(env: Record<string, string | undefined> = process.env): string[] {
  const bySetting = new Map<string, { problem: string; selections: string[] }>();
  const problems: SettingProblem[] = [...missingProviderSettings(env), ...missingStorageSettings(env)];
  for (const { setting, selection, problem } of problems) {
    const key = `${setting} ${problem}`;
    const entry = bySetting.get(key) ?? { problem, selections: [] };
    if (!entry.selections.includes(selection)) entry.selections.push(selection);
    bySetting.set(key, entry);
  }
  return [...bySetting.entries()].map(
    ([key, { selections }]) => `${key} (needed by ${selections.join(", ")})`,
  );
}

/**
 * Throws when `startupSettingProblems` finds anything.
 * @throws ConfigError whose message is "Kadr cannot start: fix these settings …" followed by one
 *   "- <problem>" line per setting.
 */
export function assertStartupSettings(env: Record<string, string | undefined> = process.env): void {
  const problems = startupSettingProblems(env);
  if (problems.length === 0) return;
  throw new ConfigError(
    [
      "Kadr cannot start: fix these settings of the selected providers (README, Configuration), or choose other providers:",
      ...problems.map((p) => `- ${p}`),
    ].join("\n"),
  );
}
