import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DbHandle } from "@/lib/db";
import { users } from "@/lib/db/schema";
import { openTestDb, testDbKind } from "@/lib/db/testing";
import { findTelegramUser, languageFromCode, upsertTelegramUser } from "./users";

let handle: DbHandle;

describe(`users (${testDbKind()})`, () => {
  beforeAll(async () => {
    handle = await openTestDb();
  });
  afterAll(() => handle.close());

  it("maps Telegram language codes", () => {
    expect([
      languageFromCode("ru"),
      languageFromCode("uk-UA"),
      languageFromCode("en-US"),
      languageFromCode(undefined),
    ]).toEqual(["ru", "ru", "en", "en"]);
  });

  it("creates a Telegram user once and refreshes the name, keeping the language", async () => {
    const first = await upsertTelegramUser(handle.db, {
      id: 777000111,
      firstName: "Anna",
      languageCode: "ru",
    });
    const again = await upsertTelegramUser(handle.db, {
      id: 777000111,
      firstName: "Anna",
      lastName: "K",
      languageCode: "en",
    });
    expect(again.id).toBe(first.id);
    expect(again).toMatchObject({ displayName: "Anna K", language: "ru", telegramId: 777000111 });
    expect(await handle.db.select().from(users)).toHaveLength(1);
    expect((await findTelegramUser(handle.db, 777000111))?.id).toBe(first.id);
    expect(await findTelegramUser(handle.db, 1)).toBeUndefined();
  });
});
