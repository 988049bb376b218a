#!/usr/bin/env bash
# CI only: a software Vulkan driver (mesa's lavapipe) so the webgpu backend's tests run on a
# machine without a GPU. Debian bookworm's own mesa 22.3 lacks a feature Dawn needs; mesa 25
# from bookworm-backports works. This adds bookworm-backports to apt's sources when missing and
# installs mesa-vulkan-drivers and the Vulkan loader from it.
#
# .ci/run calls it. It changes the system's apt sources: do not run it on a machine you care
# about without meaning to (users with a GPU need only the loader, see README "Backends").
set -euo pipefail
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
if ! grep -q '^ID=debian' /etc/os-release || ! grep -q 'VERSION_CODENAME=bookworm' /etc/os-release; then
  echo "setup-ci-vulkan: not Debian bookworm; skipping (webgpu tests will skip without a Vulkan adapter)"
  exit 0
fi
installed_version() { dpkg-query -W -f='${Status} ${Version}' "$1" 2>/dev/null | sed -n 's/^install ok installed //p' || true; }
have=$(installed_version mesa-vulkan-drivers)
if [ -n "$have" ] && dpkg --compare-versions "$have" ge 25 && [ -n "$(installed_version libvulkan1)" ]; then
  echo "setup-ci-vulkan: mesa-vulkan-drivers $have and libvulkan1 present"
  exit 0
fi
if ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
  echo "setup-ci-vulkan: adding bookworm-backports to /etc/apt/sources.list.d/bookworm-backports.list"
  echo 'deb http://deb.debian.org/debian bookworm-backports main' | $SUDO tee /etc/apt/sources.list.d/bookworm-backports.list >/dev/null
fi
$SUDO apt-get update -qq
echo "setup-ci-vulkan: installing mesa-vulkan-drivers and libvulkan1 from bookworm-backports"
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends -t bookworm-backports \
  mesa-vulkan-drivers libvulkan1 >/dev/null
echo "setup-ci-vulkan: mesa-vulkan-drivers $(installed_version mesa-vulkan-drivers)"
