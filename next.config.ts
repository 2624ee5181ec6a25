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
    "grammy",
    "@grammyjs/auto-retry",
    "openai",
    "@runwayml/sdk",
    "@google/genai",
    "google-auth-library",
    "@fal-ai/client",
    "@elevenlabs/elevenlabs-js",
    "@supabase/supabase-js",
    "ws",
    "dejavu-fonts-ttf",
  ],
  typedRoutes: false,
};

export default nextConfig;
