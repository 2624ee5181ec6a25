#!/usr/bin/env bash
# README's test command (`npm test`): installs what the tests need when it is missing, then runs
# lint, typecheck, unit + integration tests on PGlite, the integration tests again on a real
# PostgreSQL, and the Playwright e2e tests in Debian Chromium against the built app.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d node_modules/.bin ] && [ node_modules/.package-lock.json -nt package-lock.json ] || npm ci --no-audit --no-fund
bash scripts/ensure-system-deps.sh

echo "== lint + typecheck"
npx biome check .
npx tsc --noEmit

echo "== unit + integration tests (PGlite)"
npx vitest run

echo "== integration tests (PostgreSQL)"
eval "$(bash scripts/test-postgres.sh start)"
trap 'bash scripts/test-postgres.sh stop' EXIT
KADR_TEST_DB=postgres npx vitest run integration

echo "== e2e (Playwright, Chromium)"
npx playwright test
