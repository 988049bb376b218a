#!/usr/bin/env bash
# Prepares "fashion-clutter" under ${WSOL_DATA_ROOT:-data} through the wsol CLI (download with resume + MD5 check,
# extraction or verification). Extra arguments go to `wsol data prepare`, e.g. --url <mirror>.
set -euo pipefail
cd "$(dirname "$0")/.."
exec node bin/wsol.js data prepare fashion-clutter --data-root "${WSOL_DATA_ROOT:-data}" "$@"
