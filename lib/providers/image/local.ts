/**
 * Local, offline image provider: draws an abstract landscape from a hash of the prompt and seed
 * (SVG rendered by sharp/librsvg) and the caption in a readable band in the lower title-safe area.
 * It also edits (a deterministic recolouring the instruction names, with the instruction written
 * in a band at the top) and upscales (Lanczos), so the whole image editor works offline.
 */
import sharp from "sharp";
import { createRng, hash32, type Rng } from "../random";
import { upscaledSize, validateEdit, validateImageSize } from "./fit";
import { ensureCaptionFonts } from "./fonts";
import type { EditImageInput, ImageProvider, RenderImageInput, UpscaleImageInput } from "./types";

export { MAX_IMAGE_SIDE, MIN_IMAGE_SIDE } from "./types";

/** Font stack of the caption; DejaVu Sans (Debian `fonts-dejavu-core`) covers Latin and Cyrillic. */
export const CAPTION_FONT_FAMILY = "'DejaVu Sans', 'Noto Sans', 'Liberation Sans', Arial, sans-serif";

/** Caption band geometry, as fractions of the image: font size of min(width, height), band opacity. */
const FONT_FRACTION = 0.05;
const BAND_OPACITY = 0.6;
/** Average advance of a DejaVu Sans glyph in em, used to wrap the caption. */
const GLYPH_EM = 0.58;
/**
 * Gap between the caption band and the bottom edge, as a fraction of the height: the title-safe
 * area, so the Ken Burns zoom and pan (up to ~15 %) never crop the caption.
 */
const TITLE_SAFE_MARGIN = 0.1;
/** Maximum caption lines; extra text ends with "…". */
const MAX_LINES = 2;

/** Geometry of the caption band in px (for tests and for callers that overlay other elements). */
export interface CaptionBand {
  /** Top edge of the band, in px from the top of the image. */
  top: number;
  /** Band height in px (the band spans the full width and ends TITLE_SAFE_MARGIN above the bottom). */
  height: number;
  /** Font size in px. */
  fontSize: number;
  /** Wrapped caption lines (1 to 2). */
  lines: string[];
}

/** Escapes text for use in SVG character data and attribute values; drops characters XML forbids. */
export function escapeXml(text: string): string {
  return text
    .replace(/[^\P{Cc}\t\n\r]|[\ufffe\uffff]/gu, "")
    .replace(/&/gu, "&amp;")
    .replace(/</gu, "&lt;")
    .replace(/>/gu, "&gt;")
    .replace(/"/gu, "&quot;")
    .replace(/'/gu, "&apos;");
}

/**
 * Where and how the caption is drawn for an image of `width × height` px.
 *
 * @returns the band geometry, or `null` for a blank caption (no band is drawn).
 */
export function captionBand(caption: string, width: number, height: number): CaptionBand | null {
  const text = caption.replace(/\s+/gu, " ").trim();
  if (!text) return null;
  const fontSize = Math.max(10, Math.round(Math.min(width, height) * FONT_FRACTION));
  // Text stays inside the central 76 % so the Ken Burns zoom and pan never crop it sideways.
  const maxChars = Math.max(8, Math.floor((width * 0.76) / (fontSize * GLYPH_EM)));
  const lines = wrap(text, maxChars, MAX_LINES);
  const lineHeight = fontSize * 1.3;
  const padding = fontSize * 0.7;
  const bandHeight = Math.round(Math.max(height * 0.14, lines.length * lineHeight + 2 * padding));
  const bottom = height - Math.round(height * TITLE_SAFE_MARGIN);
  return { top: bottom - bandHeight, height: bandHeight, fontSize, lines };
}

/** Greedy word wrap to `maxLines` lines of ≤ `maxChars` chars; overflow ends the last line with "…". */
function wrap(text: string, maxChars: number, maxLines: number): string[] {
  const lines: string[] = [];
  let current = "";
  const words = text.split(" ");
  for (let i = 0; i < words.length; i++) {
    let word = words[i]!;
    if (word.length > maxChars) word = `${word.slice(0, maxChars - 1)}…`;
    const candidate = current ? `${current} ${word}` : word;
    if (candidate.length <= maxChars) {
      current = candidate;
      continue;
    }
    lines.push(current);
    current = word;
    if (lines.length === maxLines) {
      const last = lines[maxLines - 1]!;
      lines[maxLines - 1] = `${last.length + 1 > maxChars ? last.slice(0, maxChars - 1) : last}…`;
      return lines;
    }
  }
  if (current) lines.push(current);
  return lines;
}

function hsl(h: number, s: number, l: number, a = 1): string {
  const hue = ((h % 360) + 360) % 360;
  return a === 1
    ? `hsl(${hue.toFixed(1)},${s.toFixed(1)}%,${l.toFixed(1)}%)`
    : `hsla(${hue.toFixed(1)},${s.toFixed(1)}%,${l.toFixed(1)}%,${a.toFixed(2)})`;
}

function n(x: number): string {
  return x.toFixed(1);
}

/** A ridge path across the full width: jagged mountains or smooth hills. */
function ridge(
  rng: Rng,
  width: number,
  height: number,
  baseY: number,
  amplitude: number,
  smooth: boolean,
): string {
  const steps = smooth ? rng.int(3, 5) : rng.int(5, 9);
  const points: Array<[number, number]> = [];
  for (let i = 0; i <= steps; i++) {
    const x = (width * i) / steps + (i > 0 && i < steps ? rng.range(-0.3, 0.3) * (width / steps) : 0);
    points.push([x, baseY - rng.range(0, 1) * amplitude]);
  }
  let d = `M0,${n(height)} L${n(points[0]![0])},${n(points[0]![1])}`;
  for (let i = 1; i < points.length; i++) {
    const [x, y] = points[i]!;
    if (smooth) {
      const [px, py] = points[i - 1]!;
      const cx = (px + x) / 2;
      d += ` C${n(cx)},${n(py)} ${n(cx)},${n(y)} ${n(x)},${n(y)}`;
    } else {
      d += ` L${n(x)},${n(y)}`;
    }
  }
  return `${d} L${n(width)},${n(height)} Z`;
}

/**
 * Builds the SVG for a picture (deterministic in prompt and seed): a two- or three-stop gradient
 * sky (hue, angle and time of day from the hash), a glowing sun or moon, a few translucent
 * geometric shapes, 2–4 ridge layers (mountains or hills) getting darker toward the viewer, and
 * the caption band (see `captionBand`).
 *
 * @returns an SVG document of `width × height` px.
 */
export function sceneSvg(input: RenderImageInput): string {
  const { prompt, caption, width: w, height: h, seed } = input;
  const rng = createRng(hash32("image", prompt, seed));
  const m = Math.min(w, h);
  const hue = rng.range(0, 360);
  const accent = hue + rng.pick([30, 60, 150, 180, 210]);
  const mood = rng.pick(["day", "dusk", "night"] as const);
  const skyTop = mood === "night" ? hsl(hue, 45, 12) : mood === "dusk" ? hsl(hue, 55, 30) : hsl(hue, 60, 55);
  const skyMid = mood === "night" ? hsl(hue + 20, 40, 25) : hsl(accent, 65, mood === "dusk" ? 55 : 75);
  const skyLow = mood === "night" ? hsl(accent, 35, 35) : hsl(accent + 20, 75, mood === "dusk" ? 70 : 88);
  const angle = rng.range(-0.5, 0.5);
  const x1 = 0.5 + Math.sin(angle) * 0.5;
  const x2 = 0.5 - Math.sin(angle) * 0.5;

  const parts: string[] = [];
  parts.push(
    `<defs><linearGradient id="sky" x1="${x1.toFixed(3)}" y1="0" x2="${x2.toFixed(3)}" y2="1">` +
      `<stop offset="0" stop-color="${skyTop}"/><stop offset="${rng.range(0.35, 0.65).toFixed(3)}" stop-color="${skyMid}"/>` +
      `<stop offset="1" stop-color="${skyLow}"/></linearGradient>` +
      `<radialGradient id="glow"><stop offset="0" stop-color="#fff" stop-opacity="0.55"/>` +
      `<stop offset="1" stop-color="#fff" stop-opacity="0"/></radialGradient></defs>`,
  );
  parts.push(`<rect width="${w}" height="${h}" fill="url(#sky)"/>`);

  // Translucent geometric shapes in the sky.
  const shapeCount = rng.int(3, 6);
  for (let i = 0; i < shapeCount; i++) {
    const cx = rng.range(0, w);
    const cy = rng.range(0, h * 0.7);
    const size = m * rng.range(0.08, 0.3);
    const fill = hsl(
      rng.pick([hue, accent, hue + 90]),
      rng.range(40, 80),
      rng.range(40, 85),
      rng.range(0.12, 0.35),
    );
    const kind = rng.int(0, 2);
    if (kind === 0) parts.push(`<circle cx="${n(cx)}" cy="${n(cy)}" r="${n(size / 2)}" fill="${fill}"/>`);
    else if (kind === 1) {
      parts.push(
        `<rect x="${n(cx - size / 2)}" y="${n(cy - size / 2)}" width="${n(size)}" height="${n(size * rng.range(0.4, 1))}" ` +
          `fill="${fill}" transform="rotate(${n(rng.range(-45, 45))} ${n(cx)} ${n(cy)})"/>`,
      );
    } else {
      const r = size / 2;
      parts.push(
        `<polygon points="${n(cx)},${n(cy - r)} ${n(cx + r)},${n(cy + r)} ${n(cx - r)},${n(cy + r)}" fill="${fill}"/>`,
      );
    }
  }

  // Sun (or moon at night) with a glow.
  const sunX = rng.range(0.12, 0.88) * w;
  const sunY = rng.range(0.12, 0.45) * h;
  const sunR = m * rng.range(0.06, 0.14);
  const sunColor =
    mood === "night" ? hsl(hue + 180, 30, 88) : hsl(rng.range(30, 60), 95, mood === "dusk" ? 65 : 80);
  parts.push(`<circle cx="${n(sunX)}" cy="${n(sunY)}" r="${n(sunR * 2.6)}" fill="url(#glow)"/>`);
  parts.push(`<circle cx="${n(sunX)}" cy="${n(sunY)}" r="${n(sunR)}" fill="${sunColor}"/>`);

  // Horizon layers, back to front, darker toward the viewer.
  const layers = rng.int(2, 4);
  const smooth = rng.next() < 0.5;
  const groundHue = rng.pick([hue, accent, hue + 120]);
  for (let i = 0; i < layers; i++) {
    const depth = (i + 1) / layers;
    const baseY = h * (0.5 + 0.35 * depth) + rng.range(-0.04, 0.04) * h;
    const amplitude = h * rng.range(0.08, 0.22) * (1.2 - depth * 0.5);
    const light = (mood === "night" ? 28 : 55) - depth * (mood === "night" ? 18 : 35);
    const fill = hsl(groundHue + i * 12, rng.range(30, 60), Math.max(6, light));
    parts.push(`<path d="${ridge(rng, w, h, baseY, amplitude, smooth)}" fill="${fill}"/>`);
  }

  const band = captionBand(caption, w, h);
  if (band) parts.push(bandSvg(band, w));
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}">${parts.join("")}</svg>`;
}

/** A caption band (dark full-width strip, centred bold white lines) as SVG elements. */
function bandSvg(band: CaptionBand, width: number): string {
  const lineHeight = band.fontSize * 1.3;
  const firstBaseline =
    band.top + band.height / 2 - ((band.lines.length - 1) * lineHeight) / 2 + band.fontSize * 0.36;
  const lines = band.lines.map(
    (line, i) =>
      `<text x="${n(width / 2)}" y="${n(firstBaseline + i * lineHeight)}" font-family="${CAPTION_FONT_FAMILY}" ` +
      `font-size="${band.fontSize}" font-weight="bold" fill="#ffffff" text-anchor="middle">${escapeXml(line)}</text>`,
  );
  return (
    `<rect x="0" y="${band.top}" width="${width}" height="${band.height}" fill="rgba(0,0,0,${BAND_OPACITY})"/>` +
    lines.join("")
  );
}

/**
 * Renders a picture (see `sceneSvg`) to an RGB PNG of exactly `width × height` px. Deterministic:
 * the same input gives the same bytes. ~30–100 ms for 1280×720 on a 2-core machine.
 *
 * @throws RangeError when width or height is not an integer in [16, 4096] or a numeric seed is not finite.
 */
export async function renderLocalImage(input: RenderImageInput): Promise<Buffer> {
  ensureCaptionFonts();
  validateImageSize(input.width, input.height);
  if (typeof input.seed === "number" && !Number.isFinite(input.seed))
    throw new RangeError(`seed must be a finite number, got ${input.seed}`);
  const svg = sceneSvg(input);
  return sharp(Buffer.from(svg), { density: 72 })
    .resize(input.width, input.height, { fit: "fill" })
    .removeAlpha()
    .png({ compressionLevel: 6 })
    .toBuffer();
}

/**
 * Colours an instruction can name (English and Russian word stems), as sharp `tint` colours: the
 * picture keeps its luminance and takes the colour's chroma.
 */
const EDIT_COLOURS: ReadonlyArray<readonly [RegExp, string]> = [
  [/\b(red|crimson|scarlet)|красн/iu, "#d42020"],
  [/\borange|оранж/iu, "#e8801a"],
  [/\b(yellow|golden|gold)|жёлт|желт|золот/iu, "#e8c820"],
  [/\bgreen|зелён|зелен/iu, "#25a040"],
  [/\b(blue|azure)|син|голуб/iu, "#2060d8"],
  [/\b(purple|violet)|фиолет|пурпур/iu, "#8040c8"],
  [/\bpink|розов/iu, "#e060a0"],
];

/** How the local editor changes a picture for an instruction (see `editLocalImage`). */
export type LocalEdit =
  | { kind: "tint"; colour: string }
  | { kind: "brightness"; factor: number }
  | { kind: "greyscale" }
  | { kind: "hue"; degrees: number };

/**
 * The change the local editor applies for an instruction: a named colour tints the picture;
 * night/dark words darken it, day/bright words brighten it, black-and-white words drop its colour;
 * anything else rotates its hues by 60–300° (from a hash of the instruction and seed).
 */
export function localEditOf(instruction: string, seed: number | string): LocalEdit {
  if (/black and white|black & white|gr[ae]yscale|monochrome|чёрно-бел|черно-бел/iu.test(instruction))
    return { kind: "greyscale" };
  const colour = EDIT_COLOURS.find(([pattern]) => pattern.test(instruction));
  if (colour) return { kind: "tint", colour: colour[1] };
  if (/\b(night|dark|darker|evening)|ноч|темн|тёмн|вечер/iu.test(instruction))
    return { kind: "brightness", factor: 0.5 };
  if (/\b(day|bright|brighter|sunny|light)|днём|днем|ярч|светл|солн/iu.test(instruction))
    return { kind: "brightness", factor: 1.4 };
  return { kind: "hue", degrees: 60 + (hash32("edit", instruction, seed) % 241) };
}

/**
 * Edits a picture offline, deterministically: it is fitted to `width × height`, changed as
 * `localEditOf` says, and the instruction is written in a band mirroring the caption band at the
 * top, so the edit is visible whatever it asked for.
 * @returns an RGB PNG of exactly `width × height` px.
 * @throws RangeError on invalid sizes or instructions (see `validateEdit`); Error from sharp when
 *   the image cannot be decoded.
 */
export async function editLocalImage(input: EditImageInput): Promise<Buffer> {
  ensureCaptionFonts();
  const instruction = validateEdit(input);
  const { width: w, height: h } = input;
  let picture = sharp(input.image).resize(w, h, { fit: "cover", position: "centre" }).removeAlpha();
  const edit = localEditOf(instruction, input.seed);
  if (edit.kind === "tint") picture = picture.tint(edit.colour);
  else if (edit.kind === "greyscale") picture = picture.greyscale();
  else if (edit.kind === "brightness") picture = picture.modulate({ brightness: edit.factor });
  else picture = picture.modulate({ hue: edit.degrees });
  const changed = await picture.toColourspace("srgb").png().toBuffer();
  const band = captionBand(`✎ ${instruction}`, w, h)!;
  const top = h - (band.top + band.height);
  const overlay = `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}">${bandSvg({ ...band, top }, w)}</svg>`;
  return sharp(changed)
    .composite([{ input: Buffer.from(overlay), top: 0, left: 0 }])
    .removeAlpha()
    .png({ compressionLevel: 6 })
    .toBuffer();
}

/**
 * Upscales offline with sharp's Lanczos-3 kernel.
 * @returns an RGB PNG of round(width × scale) × round(height × scale) px.
 * @throws RangeError for a scale outside (1, 4] or a result above MAX_IMAGE_SIDE.
 */
export async function upscaleLocalImage(input: UpscaleImageInput): Promise<Buffer> {
  const { width, height } = await upscaledSize(input);
  return sharp(input.image)
    .resize(width, height, { fit: "fill", kernel: "lanczos3" })
    .removeAlpha()
    .png({ compressionLevel: 6 })
    .toBuffer();
}

/** Creates the local image provider (`name: "local"`): render, edit and upscale. */
export function createLocalImage(): ImageProvider {
  return {
    name: "local",
    renderImage: renderLocalImage,
    editImage: editLocalImage,
    upscaleImage: upscaleLocalImage,
  };
}
