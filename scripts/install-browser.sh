#!/usr/bin/env bash
# Install what the browser tests (pytest -m browser) need, from Debian apt only:
# Chromium (driven by Playwright through executable_path; never `playwright install`)
# and Arabic-capable fonts so screenshots show connected, right-to-left Arabic.
# Idempotent: does nothing when everything is already there.
set -euo pipefail

PACKAGES=(chromium fonts-noto-core fonts-hosny-amiri fonts-dejavu-core fontconfig)

missing=()
for pkg in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done

if [ -x /usr/bin/chromium ] && [ ${#missing[@]} -eq 0 ]; then
  echo "install-browser: chromium and fonts already installed"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install-browser: run as root (need apt-get)" >&2; exit 1; }
  SUDO="sudo"
fi

export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update
$SUDO apt-get install -y --no-install-recommends "${missing[@]}"
fc-cache -f >/dev/null 2>&1 || true
/usr/bin/chromium --version
