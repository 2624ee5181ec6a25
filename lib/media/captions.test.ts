import { describe, expect, it } from "vitest";
import { captionCues, parseWebVtt, webVtt } from "./captions";
import { MediaError } from "./errors";
import type { Section } from "./timeline";

const clip = (section: Section, seconds = 5) => ({ section, seconds });

describe("captionCues", () => {
  it("times one cue per segment on the final timeline, handing over where the next segment starts", () => {
    const clips = [clip("intro"), clip("main"), clip("main"), clip("outro")];
    expect(captionCues(["Hello.", "Second.", "", "Bye."], clips, 0.5)).toEqual([
      // The intro runs to 5 s, but main starts (fading in, narration with it) at 4.5 s.
      { startSeconds: 0, endSeconds: 4.5, text: "Hello." },
      { startSeconds: 4.5, endSeconds: 9.5, text: "Second." },
      { startSeconds: 14, endSeconds: 19, text: "Bye." },
    ]);
  });

  it("follows the transitions between every pair of segments with scope all", () => {
    const clips = [clip("main", 2), clip("main", 2), clip("main", 2)];
    expect(captionCues(["a", "b", "c"], clips, 0.5, "all").map((cue) => cue.startSeconds)).toEqual([
      0, 1.5, 3,
    ]);
  });

  it("wraps at 42 characters, two lines a cue, sharing the segment's time by length", () => {
    const text = "one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen";
    const cues = captionCues([text], [clip("main", 6)], 0.5);
    expect(cues.map((cue) => cue.text)).toEqual([
      "one two three four five six seven eight\nnine ten eleven twelve thirteen fourteen",
      "fifteen",
    ]);
    // 79 of the 86 line characters are in the first cue.
    expect(cues[0]).toMatchObject({ startSeconds: 0, endSeconds: 5.512 });
    expect(cues[1]).toMatchObject({ startSeconds: 5.512, endSeconds: 6 });
  });

  it("rejects a text list that does not match the clips", () => {
    expect(() => captionCues(["a"], [clip("main"), clip("main")], 0.5)).toThrow(
      /1 caption texts for 2 clips/,
    );
  });
});

describe("webVtt", () => {
  it("writes a header and escaped cues with hh:mm:ss.mmm times", () => {
    const vtt = webVtt([
      { startSeconds: 0, endSeconds: 1.5, text: "Tom & Jerry --> <b>" },
      { startSeconds: 3723.25, endSeconds: 3724, text: "line one\nline two" },
    ]);
    expect(vtt).toBe(
      "WEBVTT\n\n" +
        "00:00:00.000 --> 00:00:01.500\nTom &amp; Jerry --&gt; &lt;b&gt;\n\n" +
        "01:02:03.250 --> 01:02:04.000\nline one\nline two\n",
    );
  });

  it.each([
    ["an end before the start", { startSeconds: 2, endSeconds: 1, text: "x" }],
    ["a negative start", { startSeconds: -1, endSeconds: 1, text: "x" }],
    ["empty text", { startSeconds: 0, endSeconds: 1, text: " " }],
  ])("rejects %s", (_, cue) => {
    expect(() => webVtt([cue])).toThrow(MediaError);
  });
});

describe("parseWebVtt", () => {
  it("reads back what webVtt writes", () => {
    const cues = [
      { startSeconds: 0, endSeconds: 1.5, text: "Tom & Jerry <3" },
      { startSeconds: 3723.25, endSeconds: 3724, text: "line one\nline two" },
    ];
    expect(parseWebVtt(webVtt(cues))).toEqual(cues);
  });

  it("skips identifiers, notes and cue settings, and reads mm:ss times", () => {
    const vtt =
      "\uFEFFWEBVTT - a title\r\n\r\nNOTE written by hand\r\n\r\nintro-1\r\n00:01.000 --> 00:02.500 align:start line:0\r\nHi\r\n";
    expect(parseWebVtt(vtt)).toEqual([{ startSeconds: 1, endSeconds: 2.5, text: "Hi" }]);
  });

  it("rejects text without the WEBVTT header", () => {
    expect(() => parseWebVtt("1\n00:00:01,000 --> 00:00:02,000\nsrt\n")).toThrow(/not a WebVTT file/);
  });
});
