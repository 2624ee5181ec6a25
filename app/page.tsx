export default function DashboardPage() {
  return (
    <main className="mx-auto max-w-5xl p-6">
      <h1 className="text-2xl font-semibold">Kadr</h1>
      <p className="text-neutral-500">Topic in, narrated video out — approved stage by stage.</p>
    </main>
  );
}
