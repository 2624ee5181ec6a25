import type { ReactNode } from "react";
import { DashboardShell } from "@/components/dashboard/DashboardShell";

/** The browser dashboard's frame: header, sign-in gate and the dashboard surface (client side). */
export default function DashboardLayout({ children }: { children: ReactNode }) {
  return <DashboardShell>{children}</DashboardShell>;
}
