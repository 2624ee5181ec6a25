import { DashboardJob } from "@/components/dashboard/DashboardJob";

/** `/jobs/:id`: one video's storyboard editor in the dashboard. */
export default async function DashboardJobPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  return <DashboardJob jobId={id} />;
}
