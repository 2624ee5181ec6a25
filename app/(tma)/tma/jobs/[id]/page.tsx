import { TmaJob } from "@/components/tma/TmaJob";

/** `/tma/jobs/:id`: one video's storyboard editor in the Mini App. */
export default async function TmaJobPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  return <TmaJob jobId={id} />;
}
