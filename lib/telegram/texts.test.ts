import { describe, expect, it } from "vitest";
import { miniAppUrl } from "./links";
import { MAX_MESSAGE_CHARS, splitMessage } from "./previews";
import { escapeHtml, keyboardActionOf } from "./texts";

describe("chat texts", () => {
  it("splits long texts under 4,096 characters at paragraph or word boundaries", () => {
    const paragraph = `${"word ".repeat(500).trim()}.`;
    const text = [paragraph, paragraph, paragraph].join("\n\n");
    const chunks = splitMessage(text);
    expect(chunks.length).toBeGreaterThan(1);
    for (const chunk of chunks) expect(chunk.length).toBeLessThanOrEqual(MAX_MESSAGE_CHARS);
    expect(chunks.join(" ").replace(/\s+/g, " ")).toBe(text.replace(/\s+/g, " "));
    expect(splitMessage("x".repeat(5000)).map((c) => c.length)).toEqual([4096, 904]);
    expect(splitMessage("short")).toEqual(["short"]);
  });

  it("escapes HTML and recognises keyboard labels in both languages", () => {
    expect(escapeHtml('<a href="x">&</a>')).toBe("&lt;a href=&quot;x&quot;&gt;&amp;&lt;/a&gt;");
    expect(keyboardActionOf("📊 Status")).toBe("status");
    expect(keyboardActionOf("✖️ Отклонить")).toBe("reject");
    expect(keyboardActionOf("Status")).toBeUndefined();
  });

  it("builds Mini App URLs only for https origins", () => {
    expect(miniAppUrl("https://kadr.example", "abc_DEF-123")).toBe(
      "https://kadr.example/tma?startapp=abc_DEF-123",
    );
    expect(miniAppUrl("http://127.0.0.1:3000")).toBeUndefined();
    expect(miniAppUrl(undefined)).toBeUndefined();
  });
});
