#!/usr/bin/env bash
# Installs what Sabot needs to build and test, idempotently: OS packages, then the
# project's venv with its pinned PyPI packages. Quiet when nothing is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

# OS packages: compiler toolchain, build tools, header-only and test libraries, and the
# time zone database (Arrow reads named zones such as America/New_York from it).
# pyarrow provides Arrow C++ itself, so no system Arrow is required.
apt_packages=(g++ cmake ninja-build ccache python3-venv libgtest-dev nlohmann-json3-dev libcli11-dev tzdata)
missing=()
for p in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing OS packages: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# The venv: recreated only when requirements.txt changed since it was made.
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv"
  "$PY" -m venv .venv
fi
stamp=.venv/.requirements.sha256
want=$(sha256sum requirements.txt | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "setup: installing pinned Python packages"
  .venv/bin/python -m pip install -q --disable-pip-version-check -r requirements.txt
  # libarrow.so etc. (unversioned names) so the linker finds them.
  .venv/bin/python -c "import pyarrow; pyarrow.create_library_symlinks()"
  echo "$want" > "$stamp"
fi
