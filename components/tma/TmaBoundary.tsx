"use client";

import dynamic from "next/dynamic";
import type { ReactNode } from "react";

/** TmaRoot without server rendering: the Telegram SDK needs window and sessionStorage. */
export const TmaBoundary = dynamic<{ children: ReactNode }>(
  () => import("./TmaRoot").then((m) => m.TmaRoot),
  { ssr: false },
);
