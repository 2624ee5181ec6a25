import { RunsPage } from "@/components/runs/RunsPage";

/** `/runs`: the embedded executor's runs, timelines, cancel and replay (engine admins only). */
export default function Runs() {
  return <RunsPage />;
}
