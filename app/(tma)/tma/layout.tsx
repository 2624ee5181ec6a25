import type { ReactNode } from "react";
import { TmaBoundary } from "@/components/tma/TmaBoundary";

/** The Telegram Mini App under `/tma`: the SDK bootstrap, sign-in and surface (client only). */
export default function TmaLayout({ children }: { children: ReactNode }) {
  return <TmaBoundary>{children}</TmaBoundary>;
}
