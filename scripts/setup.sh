#!/usr/bin/env bash
# Installs everything Samsa needs to build and test, from Debian's packages and npm only.
# Idempotent: when every package is already present it does no network work at all.
set -euo pipefail
cd "$(dirname "$0")/.."

DEB_PACKAGES=(
  build-essential cmake ninja-build ccache pkg-config python3
  libboost1.81-dev libspdlog-dev libfmt-dev libcli11-dev
  libgtest-dev libgmock-dev googletest libbenchmark-dev
  libssl-dev zlib1g-dev libzstd-dev liblz4-dev libsnappy-dev
  clang libclang-rt-14-dev
  librdkafka-dev kcat python3-confluent-kafka python3-kafka nlohmann-json3-dev
  nodejs npm iproute2
)

missing=()
for p in "${DEB_PACKAGES[@]}"; do
  # nodejs/npm may come from elsewhere on the image: accept the commands being there.
  case "$p" in
    nodejs) command -v node >/dev/null 2>&1 && continue ;;
    npm) command -v npm >/dev/null 2>&1 && continue ;;
  esac
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# kafkajs (pinned in tests/integration/js/package-lock.json) for the integration tests.
if [ -f tests/integration/js/package.json ]; then
  if [ ! -d tests/integration/js/node_modules/kafkajs ] || \
     [ tests/integration/js/package-lock.json -nt tests/integration/js/node_modules/.package-lock.json ]; then
    echo "setup: npm ci (kafkajs)"
    (cd tests/integration/js && npm ci --no-audit --no-fund --loglevel=error)
  fi
fi
echo "setup: ok"
