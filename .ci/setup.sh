#!/usr/bin/env bash
# Install everything sgd-anim needs on a fresh Debian machine, skipping what is there.
# Called by `make render` and `make test`; safe to run again (a second run takes seconds).
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=${VENV:-.venv}
PYTHON=${PYTHON:-python3}
TORCH_PIN=${TORCH_PIN:-torch==2.13.0}   # the CPU wheel; a bare `torch` pulls a multi-GB CUDA build

# 1. Debian packages: Manim builds pycairo and manimpango from source against cairo and pango.
need_apt=()
for pkg in libcairo2-dev libpango1.0-dev pkg-config; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || need_apt+=("$pkg")
done
command -v cc >/dev/null 2>&1 || need_apt+=(build-essential)
# The web player's tests and benchmark drive Debian's headless Chromium through its own driver
# (Selenium is told both paths: nothing is downloaded). SGD_ANIM_BROWSER=0 skips them (the
# browser tests are then skipped, saying why).
if [ "${SGD_ANIM_BROWSER:-1}" != "0" ]; then
  for pkg in chromium chromium-driver; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || need_apt+=("$pkg")
  done
fi
if ! command -v "$PYTHON" >/dev/null 2>&1; then
  need_apt+=(python3 python3-venv python3-dev)
elif [ ! -x "$VENV/bin/python" ] && ! "$PYTHON" -c "import ensurepip, sysconfig, os, sys; \
    sys.exit(not os.path.exists(os.path.join(sysconfig.get_paths()['include'], 'Python.h')))" 2>/dev/null; then
  need_apt+=(python3-venv python3-dev)   # Debian splits venv and the C headers out of python3
fi
if [ ${#need_apt[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  echo "setup: installing Debian packages: ${need_apt[*]}" >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi
if ! "$PYTHON" -c "import sys; sys.exit(sys.version_info < (3, 11))"; then
  echo "setup: sgd-anim needs Python 3.11 or newer; $PYTHON is $("$PYTHON" --version 2>&1)" >&2
  exit 1
fi

# 2. The virtual environment.
if [ ! -x "$VENV/bin/python" ]; then
  echo "setup: creating $VENV" >&2
  "$PYTHON" -m venv "$VENV"
  "$VENV/bin/python" -m pip install -q --upgrade pip
fi

# 3. Torch (CPU) first, so the project's `torch` range is already satisfied.
if ! "$VENV/bin/python" -c "import torch" 2>/dev/null; then
  echo "setup: installing $TORCH_PIN (CPU)" >&2
  "$VENV/bin/python" -m pip install -q "$TORCH_PIN"
fi

# 4. The project itself, editable, with its test tools. Redone only when pyproject.toml changes.
stamp="$VENV/.sgd-anim-installed"
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  echo "setup: installing sgd-anim and its dependencies" >&2
  "$VENV/bin/python" -m pip install -q -e ".[dev]"
  touch "$stamp"
fi

# 5. The project's own modules compiled once. pip compiles what it installs, but an editable
#    install's sources are compiled at each first import, every process over again when
#    PYTHONDONTWRITEBYTECODE is set (as on some CI machines); compileall writes them whatever it
#    says, and skips what is already up to date (a second run takes a moment).
"$VENV/bin/python" -m compileall -q -j 0 render.py training scenes >/dev/null
