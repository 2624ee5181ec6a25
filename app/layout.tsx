import type { Metadata, Viewport } from "next";
import type { ReactNode } from "react";
import "./globals.css";

export const metadata: Metadata = {
  title: "Kadr",
  description: "Turn a topic into a narrated video, one approved stage at a time.",
};

export const viewport: Viewport = {
  width: "device-width",
  initialScale: 1,
  viewportFit: "cover",
};

/**
 * The root layout shared by the dashboard and the Mini App. `suppressHydrationWarning`: the Mini
 * App writes Telegram's theme variables, its class and `data-theme` onto `<html>` on the client.
 */
export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en" suppressHydrationWarning>
      <body className="min-h-dvh bg-bg text-fg antialiased">{children}</body>
    </html>
  );
}
