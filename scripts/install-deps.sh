#!/usr/bin/env bash
# Installs every Debian package the build, the tests and the benchmarks need.
# Idempotent and fast when everything is present (one dpkg query, no apt call).
set -euo pipefail

PACKAGES=(
  build-essential cmake ccache pkg-config git
  libboost1.74-dev libssl-dev libsimdjson-dev nlohmann-json3-dev
  libdeflate-dev libisal-dev libjemalloc-dev zlib1g-dev libsqlite3-dev sqlite3 libyaml-dev libpugixml-dev
  libcli11-dev libfmt-dev libspdlog-dev
  libgtest-dev libgmock-dev googletest libbenchmark-dev
  python3 curl procps awscli
  clang-14 libclang-rt-14-dev
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}"
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq || $SUDO apt-get update
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# The end-to-end tests drive the stock AWS CLI v1 and boto3 of the machine image.
py=$(command -v python3)
if ! "$py" -c 'import boto3, botocore' 2>/dev/null; then
  echo "install-deps: python3 lacks boto3/botocore; the machine image provides them (pip is offline here)." >&2
  exit 1
fi
if ! command -v aws >/dev/null 2>&1; then
  echo "install-deps: the 'aws' CLI is not on PATH; the machine image provides AWS CLI v1." >&2
  exit 1
fi
