/**
 * Fonts for caption rendering. sharp renders SVG text through librsvg + fontconfig, which only see
 * system fonts — a fresh Debian machine may have none, and captions would come out blank. Kadr
 * ships DejaVu (Latin + Cyrillic) through the `dejavu-fonts-ttf` package and points fontconfig at
 * it with a generated config (FONTCONFIG_FILE) that also includes the system's own fonts.
 * fontconfig reads FONTCONFIG_FILE once, at its first use, so this must run before the first render.
 * Docs: https://www.freedesktop.org/software/fontconfig/fontconfig-user.html
 */
import fs from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";

let configured = false;

/** Directory of the bundled TTF files, or null when the package is missing. */
function bundledFontDir(): string | null {
  try {
    const require = createRequire(import.meta.url);
    const dir = path.join(
      path.dirname(require.resolve(/* turbopackIgnore: true */ "dejavu-fonts-ttf/package.json")),
      "ttf",
    );
    return fs.existsSync(dir) ? dir : null;
  } catch {
    return null;
  }
}

/**
 * Makes the bundled fonts visible to fontconfig for this process (idempotent). Leaves an explicit
 * FONTCONFIG_FILE set by the user alone.
 */
export function ensureCaptionFonts(): void {
  if (configured || process.env.FONTCONFIG_FILE) return;
  configured = true;
  const fontDir = bundledFontDir();
  if (!fontDir) return;
  const configDir = fs.mkdtempSync(path.join(os.tmpdir(), "kadr-fontconfig-"));
  const configFile = path.join(configDir, "fonts.conf");
  fs.writeFileSync(
    configFile,
    `<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "urn:fontconfig:fonts.dtd">
<fontconfig>
  <include ignore_missing="yes">/etc/fonts/fonts.conf</include>
  <dir>${fontDir}</dir>
  <cachedir>${path.join(configDir, "cache")}</cachedir>
</fontconfig>
`,
  );
  process.env.FONTCONFIG_FILE = configFile;
}
