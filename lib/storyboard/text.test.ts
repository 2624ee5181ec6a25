import { describe, expect, it } from "vitest";
import {
  countWords,
  estimateSpeechSeconds,
  keyWords,
  splitClauses,
  splitParagraphs,
  splitSentences,
  splitUnit,
} from "./text";

describe("splitSentences", () => {
  it("splits English on . ! ? and keeps abbreviations and initials", () => {
    expect(
      splitSentences(
        "Mr. Smith met Dr. Jones, e.g. at No. 5 St. James. Wait... What? J. R. R. Tolkien wrote it!",
      ),
    ).toEqual([
      "Mr. Smith met Dr. Jones, e.g. at No. 5 St. James.",
      "Wait...",
      "What?",
      "J. R. R. Tolkien wrote it!",
    ]);
  });

  it("handles Russian quotes, dialogue dashes, abbreviations and ellipses", () => {
    const text =
      "Он сказал: «Привет!» Потом ушёл. «Пока!» — сказал он. А. С. Пушкин родился в 1799 г. в Москве. " +
      "Это т.е. пример, и т. д. Далее… что-то ещё. И всё?! Да.";
    expect(splitSentences(text)).toEqual([
      "Он сказал: «Привет!»",
      "Потом ушёл.",
      "«Пока!» — сказал он.",
      "А. С. Пушкин родился в 1799 г. в Москве.",
      "Это т.е. пример, и т. д.",
      "Далее… что-то ещё.",
      "И всё?!",
      "Да.",
    ]);
  });

  it("treats line breaks as boundaries unless the next line continues in lower case", () => {
    expect(
      splitSentences("1. Первый пункт\n2. Второй пункт\nпродолжается здесь\n\nЗаголовок\nТекст."),
    ).toEqual(["1. Первый пункт", "2. Второй пункт продолжается здесь", "Заголовок", "Текст."]);
  });

  it("does not split decimals or lower-case continuations", () => {
    expect(splitSentences("Pi is 3.14 roughly. the end")).toEqual(["Pi is 3.14 roughly. the end"]);
    expect(splitSentences("   ")).toEqual([]);
  });
});

describe("words and timing", () => {
  it("counts words but not lone dashes", () => {
    expect(countWords("Тема — «Как варят кофе», шаг 1.")).toBe(6);
    expect(countWords(" — ")).toBe(0);
  });

  it("estimates speech at 2.5 wps (en) and 2.1 wps (ru)", () => {
    expect(estimateSpeechSeconds("one two three four five", "en")).toBeCloseTo(2);
    expect(estimateSpeechSeconds("раз два три четыре пять шесть семь", "ru")).toBeCloseTo(3.333, 2);
  });
});

describe("splitParagraphs", () => {
  it("uses blank lines, else single lines", () => {
    expect(splitParagraphs("a b\nc\n\n d \n\n\ne")).toEqual(["a b\nc", "d", "e"]);
    expect(splitParagraphs("one\ntwo\r\nthree")).toEqual(["one", "two", "three"]);
    expect(splitParagraphs("single")).toEqual(["single"]);
  });
});

describe("splitClauses", () => {
  it("cuts after commas, semicolons, colons and before spaced dashes", () => {
    expect(
      splitClauses("Итак, зёрна обжарены; теперь — помол: мелко, но не в пыль.").map((u) => [
        u.text,
        u.words,
        u.end,
      ]),
    ).toEqual([
      ["Итак,", 1, "clause"],
      ["зёрна обжарены;", 2, "clause"],
      ["теперь", 1, "clause"],
      ["— помол:", 1, "clause"],
      ["мелко,", 1, "clause"],
      ["но не в пыль.", 4, "sentence"],
    ]);
    expect(splitClauses("No commas here.")).toEqual([{ text: "No commas here.", words: 3, end: "sentence" }]);
  });
});

describe("splitUnit", () => {
  it("prefers a clause boundary near the middle", () => {
    const halves = splitUnit({
      text: "Зёрна обжаривают и остужают, затем мелют и заваривают водой.",
      words: 9,
      end: "sentence",
    });
    expect(halves?.map((h) => h.text)).toEqual([
      "Зёрна обжаривают и остужают,",
      "затем мелют и заваривают водой.",
    ]);
    expect(halves?.map((h) => h.end)).toEqual(["clause", "sentence"]);
  });

  it("falls back to the middle word and refuses single words", () => {
    const halves = splitUnit({ text: "a b c d", words: 4, end: "clause" });
    expect(halves).toEqual([
      { text: "a b", words: 2, end: "word" },
      { text: "c d", words: 2, end: "clause" },
    ]);
    expect(splitUnit({ text: "word.", words: 1, end: "sentence" })).toBeNull();
  });
});

describe("keyWords", () => {
  it("ranks content words by frequency and drops stop words", () => {
    expect(keyWords("The coffee beans are roasted, then the coffee is ground. Coffee!", 3)).toEqual([
      "coffee",
      "beans",
      "roasted",
    ]);
    expect(keyWords("Это очень важно, и это всё.")).toEqual(["важно"]);
  });
});
