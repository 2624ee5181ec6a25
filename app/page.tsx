import { Dashboard } from "@/components/dashboard/Dashboard";

/** The dashboard at `/`: a static shell around the client-side Dashboard fed by the job API. */
export default function DashboardPage() {
  return (
    <div className="min-h-screen">
      <header className="border-b border-neutral-200 bg-white/80 backdrop-blur dark:border-neutral-800 dark:bg-neutral-950/80">
        <div className="mx-auto flex max-w-6xl items-center justify-between gap-4 px-6 py-4">
          <div className="flex items-center gap-3">
            <span
              aria-hidden="true"
              className="grid size-9 place-items-center rounded-xl bg-indigo-600 text-lg font-bold text-white shadow-sm"
            >
              K
            </span>
            <div>
              <h1 className="text-lg font-semibold leading-tight">Kadr</h1>
              <p className="text-sm text-neutral-500 dark:text-neutral-400">
                Topic in, narrated video out — approved stage by stage.
              </p>
            </div>
          </div>
          <span className="hidden rounded-full bg-neutral-100 px-3 py-1 text-xs font-medium text-neutral-600 sm:inline dark:bg-neutral-800 dark:text-neutral-300">
            Local mode
          </span>
        </div>
      </header>
      <main className="mx-auto max-w-6xl px-6 py-8">
        <Dashboard />
      </main>
    </div>
  );
}
