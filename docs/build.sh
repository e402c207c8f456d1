#!/usr/bin/env bash
# Build the documentation site in strict mode (any warning fails the build).
#   docs/build.sh                 -> site/
#   docs/build.sh /tmp/mmm-site   -> that folder
#   docs/build.sh --serve         -> live preview on http://127.0.0.1:8000
# Needs the docs tools in the virtualenv: .venv/bin/pip install -e ".[docs]"
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${VENV:-.venv}/bin
export NO_MKDOCS_2_WARNING=1   # mkdocs-material's end-of-life banner, not a build warning
if [[ "${1:-}" == "--serve" ]]; then
  exec "$BIN/mkdocs" serve --strict
fi
exec "$BIN/mkdocs" build --strict --site-dir "${1:-site}"
