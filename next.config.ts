import type { NextConfig } from "next";

const nextConfig: NextConfig = {
  // Native and wasm packages are loaded from node_modules at run time, never bundled.
  serverExternalPackages: [
    "@electric-sql/pglite",
    "sharp",
    "espeak-ng",
    "@ffmpeg/core",
    "postgres",
    "inngest",
  ],
  typedRoutes: false,
};

export default nextConfig;
