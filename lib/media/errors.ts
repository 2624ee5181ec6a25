/**
 * Errors raised by lib/media. Every failure of an ffmpeg/ffprobe run carries the tail of the tool's
 * stderr, because that is where ffmpeg explains itself.
 */
export type MediaErrorCode =
  /** No usable ffmpeg/ffprobe for the requested backend (e.g. KADR_FFMPEG=native without a binary). */
  | "FFMPEG_NOT_FOUND"
  /** ffmpeg exited non-zero, or did not produce a declared output. */
  | "FFMPEG_FAILED"
  /** ffmpeg ran longer than the caller's timeout and was killed. */
  | "FFMPEG_TIMEOUT"
  /** ffprobe failed or its output could not be read. */
  | "PROBE_FAILED"
  /** The caller passed values the media functions cannot honour (negative durations, bad section order). */
  | "INVALID_INPUT"
  /** An environment variable has a value outside its documented set. */
  | "INVALID_CONFIG";

/** How many trailing stderr lines a MediaError keeps. */
const STDERR_TAIL_LINES = 20;

export class MediaError extends Error {
  readonly code: MediaErrorCode;
  /** The last ~20 non-empty lines of the tool's stderr ("" when no tool ran). */
  readonly stderrTail: string;

  constructor(code: MediaErrorCode, message: string, stderr = "") {
    const stderrTail = tailLines(stderr, STDERR_TAIL_LINES);
    super(stderrTail ? `${message}\n${stderrTail}` : message);
    this.name = "MediaError";
    this.code = code;
    this.stderrTail = stderrTail;
  }
}

/** The last `count` non-empty lines of `text`, joined with "\n". */
function tailLines(text: string, count: number): string {
  return text
    .split(/\r?\n|\r/)
    .filter((line) => line.trim() !== "")
    .slice(-count)
    .join("\n");
}

/** Throws INVALID_INPUT unless `seconds` is a finite number > 0. */
export function assertPositiveSeconds(seconds: number, what: string): void {
  if (!(Number.isFinite(seconds) && seconds > 0)) {
    throw new MediaError("INVALID_INPUT", `${what} must be a positive number of seconds (got ${seconds})`);
  }
}
