/**
 * deliver-video: when a job's final video is stored (video/job.completed), sends it to every
 * Telegram chat subscribed to the job that has not received it yet — one step per chat, in order,
 * so the first step uploads the file and stores its file_id on the asset and every later step
 * re-sends that file_id (lib/telegram/delivery.ts). Without TELEGRAM_BOT_TOKEN it does nothing.
 * A step retried after a crash between sendVideo and marking the subscription may send twice.
 */
import { getRuntime } from "@/lib/runtime";
import { createTelegramApi } from "@/lib/telegram/api";
import { deliverVideoToChat } from "@/lib/telegram/delivery";
import { loadTelegramSettings } from "@/lib/telegram/settings";
import { chatsFollowing } from "@/lib/telegram/subscriptions";
import { inngest } from "../client";
import { jobCompleted } from "../events";

export const deliverVideo = inngest.createFunction(
  {
    id: "deliver-video",
    name: "Deliver video to Telegram",
    triggers: [jobCompleted],
    retries: 3,
  },
  async ({ event, step }) => {
    const { jobId, assetId } = event.data;
    const subscriptionIds = await step.run("list-telegram-chats", async () => {
      if (!loadTelegramSettings()) return [];
      const chats = await chatsFollowing((await getRuntime()).dbHandle.db, jobId, true);
      return chats.map((chat) => chat.subscriptionId);
    });
    const methods: string[] = [];
    for (const subscriptionId of subscriptionIds) {
      const method = await step.run(`send-to-${subscriptionId}`, async () => {
        const settings = loadTelegramSettings();
        const rt = await getRuntime();
        const chat = (await chatsFollowing(rt.dbHandle.db, jobId)).find(
          (c) => c.subscriptionId === subscriptionId,
        );
        if (!settings || !chat) return "skipped";
        return deliverVideoToChat(
          {
            db: rt.dbHandle.db,
            store: rt.store,
            workDir: rt.workDir,
            api: createTelegramApi(settings.token, settings.apiRoot),
            publicUrl: settings.publicUrl,
            botUsername: settings.username,
          },
          jobId,
          assetId,
          chat,
        );
      });
      methods.push(method);
    }
    return { jobId, assetId, methods };
  },
);
