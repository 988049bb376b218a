#!/usr/bin/env bash
# Makes the notebooks runnable, with no global change:
#   1. checks that Debian's Jupyter is installed (it says which packages to install if not);
#   2. registers the tslab TypeScript kernel in the project-local .jupyter/ (use it through
#      JUPYTER_PATH=.jupyter/share/jupyter, which `npm run notebook` / `notebooks:run` set);
#   3. builds src/ to dist/ (tslab compiles only files under notebooks/, so notebooks import
#      the built package);
#   4. links notebooks/node_modules/where-to-look -> the project, so `import ... from 'where-to-look'`
#      resolves from the notebooks folder.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PY=/usr/bin/python3   # Debian's python: the pyenv python3 first on PATH has no Jupyter modules
PACKAGES="jupyter-notebook python3-nbclient python3-nbconvert python3-nbformat python3-jupyter-client"

if [ ! -x "$PY" ] || ! "$PY" -c 'import nbclient, nbconvert, nbformat, jupyter_client' 2>/dev/null; then
  echo "setup-notebooks: Jupyter is not installed for $PY; install it with: sudo apt-get install $PACKAGES" >&2
  exit 1
fi
if [ ! -x "$ROOT/node_modules/.bin/tslab" ]; then
  echo "setup-notebooks: $ROOT/node_modules/.bin/tslab is missing; run 'npm ci' first" >&2
  exit 1
fi

PREFIX="$ROOT/.jupyter"
"$ROOT/node_modules/.bin/tslab" install --python "$PY" --binary "$ROOT/node_modules/.bin/tslab" --prefix "$PREFIX" >/dev/null
if [ ! -f "$PREFIX/share/jupyter/kernels/tslab/kernel.json" ]; then
  echo "setup-notebooks: tslab did not write $PREFIX/share/jupyter/kernels/tslab/kernel.json" >&2
  exit 1
fi

# The build may report type errors from work in progress elsewhere; tsc still emits, so only a
# missing dist/index.js stops the notebooks.
if ! (cd "$ROOT" && npm run --silent build >"$PREFIX/build.log" 2>&1); then
  echo "setup-notebooks: warning: 'npm run build' reported errors (see .jupyter/build.log)" >&2
fi
if [ ! -f "$ROOT/dist/index.js" ]; then
  echo "setup-notebooks: the build did not produce dist/index.js (see .jupyter/build.log)" >&2
  exit 1
fi

mkdir -p "$ROOT/notebooks/node_modules"
ln -sfn "$ROOT" "$ROOT/notebooks/node_modules/where-to-look"
echo "notebooks ready: 'npm run notebook' opens them; 'npm run notebooks:run' (WSOL_QUICK=1 for quick mode) executes them into out/notebooks/"
