#!/usr/bin/env bash
# Installs everything slidepipe needs on Debian 12 + Node 20 (run as root, idempotent), then builds.
set -euo pipefail
cd "$(dirname "$0")/.."

# Runtime: OpenSlide and libjpeg-turbo (called through koffi). Tests and benchmarks: the baselines
# (vips, python openslide + PIL), GNU parallel for the one-machine pipeline form, python3-venv for
# the pyarrow the Parquet interoperability test reads our files with.
debs=(libopenslide0 openslide-tools libturbojpeg0 libvips-tools python3-openslide python3-pil python3-venv parallel)
# Benchmarks only: the PyTorch baseline of wsi-embed / wsi-train (with a real BLAS).
[ "${1:-}" = --bench ] && debs+=(python3-torch libopenblas0)
# Tests: Snakemake, to run pipeline/Snakefile for real (Debian 12 has 7.21; the Python package
# index serves none here).
[ "${1:-}" = --test ] && debs+=(snakemake)
# Tests: a real browser for wsi-view's page (driven by puppeteer-core, which downloads nothing).
[ "${1:-}" = --test ] && debs+=(chromium)
missing=()
for p in "${debs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  if [ "$(id -u)" != 0 ]; then
    echo "setup: missing Debian packages: ${missing[*]} (run this script as root, or: sudo apt-get install ${missing[*]})" >&2
    exit 1
  fi
  echo "setup: apt-get install ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# npm packages: reinstall only when the lock file changed since the last install.
stamp=node_modules/.slidepipe-lock.sha256
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "setup: npm ci" >&2
  # onnxruntime-node ships its CPU library; its postinstall would try to fetch CUDA libraries.
  ONNXRUNTIME_NODE_INSTALL=skip PUPPETEER_SKIP_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error
  echo "$want" > "$stamp"
fi

# Tests and benchmarks: pyarrow (Arrow C++), the reference the Parquet files are checked against;
# Debian 12 has no package of it, so it goes into .venv from the Python package index. Without an
# index the test that needs it is skipped and says so.
if { [ "${1:-}" = --test ] || [ "${1:-}" = --bench ]; } && ! .venv/bin/python -c 'import pyarrow' 2>/dev/null; then
  echo "setup: pyarrow into .venv" >&2
  { /usr/bin/python3 -m venv .venv && .venv/bin/pip install -q --retries 1 'pyarrow>=15,<30' > .venv/pip.log 2>&1; } ||
    echo "setup: pyarrow could not be installed (no Python package index?): the pyarrow interoperability test will be skipped" >&2
fi

# Build every tool (Nx caches unchanged projects).
NX_DAEMON=false NX_NO_CLOUD=true NX_TUI=false npx nx run-many -t build --output-style=static >&2
