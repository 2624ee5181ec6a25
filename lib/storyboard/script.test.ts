import { describe, expect, it } from "vitest";
import { scriptFromText } from "./script";
import { tokens } from "./text";

describe("scriptFromText", () => {
  it("maps Russian paragraphs to intro / main / outro as is", () => {
    const text = [
      "Сегодня расскажем, как варят кофе. Это проще, чем кажется.",
      "Сначала зёрна обжаривают. Потом их мелют.",
      "Затем кофе заливают горячей водой.\nИ ждут четыре минуты.",
      "Вот и всё. Приятного аппетита!",
    ].join("\n\n");
    const script = scriptFromText(text, "ru");
    expect(script.sections).toEqual({
      intro: "Сегодня расскажем, как варят кофе. Это проще, чем кажется.",
      main: "Сначала зёрна обжаривают. Потом их мелют.\n\nЗатем кофе заливают горячей водой.\nИ ждут четыре минуты.",
      outro: "Вот и всё. Приятного аппетита!",
    });
    expect(script.title).toBe("Сегодня расскажем");
  });

  it("maps English paragraphs separated by single line breaks, with a Markdown title", () => {
    const text = "# How coffee is brewed\nCoffee is everywhere.\nBeans are roasted.\nThen ground.\nEnjoy!";
    const script = scriptFromText(text, "en");
    expect(script.title).toBe("How coffee is brewed");
    expect(script.sections).toEqual({
      intro: "Coffee is everywhere.",
      main: "Beans are roasted.\n\nThen ground.",
      outro: "Enjoy!",
    });
  });

  it("splits a single paragraph's sentences 1:2:1", () => {
    const text =
      "One is here. Two is here. Three is here. Four is here. Five is here. Six is here. Seven is here. Eight is here.";
    const script = scriptFromText(text, "en");
    expect(script.sections).toEqual({
      intro: "One is here. Two is here.",
      main: "Three is here. Four is here. Five is here. Six is here.",
      outro: "Seven is here. Eight is here.",
    });
    expect(tokens(Object.values(script.sections).join(" "))).toEqual(tokens(text));
  });

  it("gives two paragraphs an intro and a 2:1 main/outro split of the second", () => {
    const script = scriptFromText("Привет всем.\n\nРаз. Два. Три. Четыре. Пять. Шесть.", "ru");
    expect(script.sections).toEqual({
      intro: "Привет всем.",
      main: "Раз. Два. Три. Четыре.",
      outro: "Пять. Шесть.",
    });
  });

  it("rejects text without words", () => {
    expect(() => scriptFromText(" \n — \n", "ru")).toThrow(RangeError);
  });
});
