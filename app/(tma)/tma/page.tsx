import { TmaHome } from "@/components/tma/TmaHome";

/** `/tma`: the Mini App's start screen (a `startapp=<job id>` launch continues to that job). */
export default function TmaPage() {
  return <TmaHome />;
}
