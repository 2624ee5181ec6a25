import { DashboardHome } from "@/components/dashboard/DashboardHome";

/** The dashboard at `/`: the "New video" form and the history of the signed-in user's videos. */
export default function DashboardPage() {
  return <DashboardHome />;
}
