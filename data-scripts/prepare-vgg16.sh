#!/usr/bin/env bash
# Prepares "vgg16" under ${WSOL_DATA_ROOT:-data} through the wsol CLI (download with resume + MD5 check,
# extraction or verification). Extra arguments go to `wsol data prepare`, e.g. --url <mirror>.
set -euo pipefail
cd "$(dirname "$0")/.."
exec node bin/wsol.js data prepare vgg16 --data-root "${WSOL_DATA_ROOT:-data}" "$@"
