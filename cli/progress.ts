/**
 * Terminal progress: one bar per stage ("images  7/10 ███████░░░"). On a TTY the block is redrawn
 * in place; otherwise a line is printed whenever a stage's count or the status changes, so logs
 * stay readable in CI.
 */
import type { JobView } from "@/lib/studio/jobs";

const BAR_WIDTH = 20;

/** `label  n/total ██████░░░░` with a fixed-width bar. */
export function progressLine(label: string, done: number, total: number): string {
  const filled = total > 0 ? Math.round((done / total) * BAR_WIDTH) : 0;
  return `${label.padEnd(9)} ${`${done}/${total}`.padStart(5)} ${"█".repeat(filled)}${"░".repeat(BAR_WIDTH - filled)}`;
}

export class ProgressDisplay {
  private lastLines: string[] = [];
  private drawnOnTty = 0;

  constructor(private readonly out: NodeJS.WriteStream) {}

  private lines(view: JobView): string[] {
    const { counts, job } = view;
    return [
      `status    ${job.status.replaceAll("_", " ")}`,
      progressLine("images", counts.images, counts.segments),
      progressLine("clips", counts.clips, counts.segments),
      progressLine("narration", counts.narration, counts.segments),
    ];
  }

  render(view: JobView): void {
    const lines = this.lines(view);
    if (this.out.isTTY) {
      if (lines.join("\n") === this.lastLines.join("\n") && this.drawnOnTty) return;
      if (this.drawnOnTty) this.out.write(`\x1b[${this.drawnOnTty}A\x1b[0J`);
      this.out.write(`${lines.join("\n")}\n`);
      this.drawnOnTty = lines.length;
    } else {
      for (const [i, line] of lines.entries()) if (line !== this.lastLines[i]) this.out.write(`${line}\n`);
    }
    this.lastLines = lines;
  }

  /** Leaves the current block in place so prompts print below it. */
  pause(): void {
    this.drawnOnTty = 0;
  }

  done(view: JobView): void {
    this.render(view);
    this.drawnOnTty = 0;
  }
}
