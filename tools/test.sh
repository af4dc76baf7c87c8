#!/usr/bin/env bash
# The test suite: formatting, lint (module boundaries), type check, then unit and end-to-end tests.
set -euo pipefail
cd "$(dirname "$0")/.."
export NX_DAEMON=false NX_NO_CLOUD=true NX_TUI=false
npx prettier --check --log-level warn "apps/**/*.{ts,js,mjs}" "libs/**/*.{ts,mjs,mts}" "test/**/*.ts" "tools/**/*.{mjs,ts}" "*.{ts,mjs}"
npx eslint --max-warnings=0 apps libs test tools
npx tsc -p tsconfig.json
npx vitest run "$@"
