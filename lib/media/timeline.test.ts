import { describe, expect, it } from "vitest";
import { MediaError } from "./errors";
import { type Section, sectionGroups, segmentTimeline, timelineSeconds, transitionGroups } from "./timeline";

const clip = (section: Section, seconds = 5) => ({ section, seconds });

describe("segmentTimeline", () => {
  it("shifts every segment after a section boundary earlier by the crossfade", () => {
    const clips = [clip("intro"), clip("main"), clip("main"), clip("outro")];
    expect(segmentTimeline(clips, 0.5)).toEqual([
      { startSeconds: 0, endSeconds: 5 },
      { startSeconds: 4.5, endSeconds: 9.5 },
      { startSeconds: 9.5, endSeconds: 14.5 },
      { startSeconds: 14, endSeconds: 19 },
    ]);
    expect(timelineSeconds(clips, 0.5)).toBe(20 - 2 * 0.5);
  });

  it("counts only the boundaries that exist when a section is empty", () => {
    expect(timelineSeconds([clip("main"), clip("main"), clip("outro")], 0.5)).toBe(14.5);
    expect(timelineSeconds([clip("intro"), clip("outro", 3)], 1)).toBe(7);
    expect(timelineSeconds([clip("main", 2), clip("main", 3)], 0.5)).toBe(5);
    expect(timelineSeconds([], 0.5)).toBe(0);
  });

  it("overlaps every pair of segments with scope all", () => {
    const clips = [clip("intro", 2), clip("main", 2), clip("main", 2)];
    expect(segmentTimeline(clips, 0.5, "all")).toEqual([
      { startSeconds: 0, endSeconds: 2 },
      { startSeconds: 1.5, endSeconds: 3.5 },
      { startSeconds: 3, endSeconds: 5 },
    ]);
    expect(timelineSeconds(clips, 0.5, "all")).toBe(5);
    expect(() => segmentTimeline([clip("main", 2), clip("main", 0.8), clip("main", 2)], 0.5, "all")).toThrow(
      /1 main clip\(s\) between transitions \(0.8 s\) are too short for 2 crossfade\(s\) of 0.5 s/,
    );
  });

  it("plays segments back to back without a crossfade", () => {
    expect(segmentTimeline([clip("intro", 2), clip("main", 3)], 0)).toEqual([
      { startSeconds: 0, endSeconds: 2 },
      { startSeconds: 2, endSeconds: 5 },
    ]);
  });

  it.each([
    ["sections out of order", [clip("main"), clip("intro")], 0.5],
    ["a section shorter than its two crossfades", [clip("intro"), clip("main", 1), clip("outro")], 0.5],
    ["a negative crossfade", [clip("intro"), clip("main")], -1],
    ["a zero-length clip", [clip("intro", 0)], 0.5],
  ])("rejects %s", (_, clips, crossfade) => {
    expect(() => segmentTimeline(clips, crossfade)).toThrow(MediaError);
  });
});

describe("transitionGroups", () => {
  it("splits clips into the runs between transitions", () => {
    const clips = [clip("intro"), clip("main"), clip("main"), clip("outro")];
    expect(transitionGroups(clips, "sections").map((group) => group.length)).toEqual([1, 2, 1]);
    expect(transitionGroups(clips, "all").map((group) => group.length)).toEqual([1, 1, 1, 1]);
  });
});

describe("sectionGroups", () => {
  it("splits clips into runs of one section", () => {
    const groups = sectionGroups([clip("intro"), clip("main"), clip("main"), clip("outro")]);
    expect(groups.map((group) => group.map((c) => c.section))).toEqual([
      ["intro"],
      ["main", "main"],
      ["outro"],
    ]);
  });
});
