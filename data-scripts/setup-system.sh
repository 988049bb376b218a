#!/usr/bin/env bash
# Debian packages the project uses: Jupyter (notebooks run headless), real Fashion-MNIST files,
# a CPU PyTorch (speed reference for `wsol bench`), Chromium (checks of the exported HTML)
# OpenCV + NumPy (test/oracle: wsolevaluation's metrics computed independently), and g++, make and
# oneDNN (libdnnl-dev) for the optional native CPU kernels that `npm ci` builds (src/backend/native;
# without them the wasm kernels run).
set -euo pipefail
PACKAGES=(jupyter-nbconvert python3-nbclient jupyter-notebook python3-ipykernel dataset-fashion-mnist python3-torch chromium python3-opencv python3-numpy g++ make libdnnl-dev)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then echo "setup-system: all Debian packages present"; exit 0; fi
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
echo "setup-system: installing ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
