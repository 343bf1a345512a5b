#!/usr/bin/env bash
# Installs the Debian packages lanlord needs to build, test and benchmark,
# but only those that are missing, so a second run is instant and offline.
set -euo pipefail

packages=(
  cmake ninja-build g++ pkg-config
  libboost-dev libboost-program-options-dev
  capnproto libcapnp-dev
  libsodium-dev        # cluster keys: datagram tags and encryption (transport/WIRE.md)
  doctest-dev
  nlohmann-json3-dev   # the JSON-lines reader of cli/toolkit (lanlord::app)
  clang-format-14      # scripts/check-format.sh
  clang-14 libclang-rt-14-dev  # fuzzing (scripts/fuzz.sh): clang-14 alone lacks libFuzzer and the sanitizer runtimes
  iproute2       # `ip netns` for the IPv6 namespace test
  nftables       # packet loss inside network namespaces (scripts/netns-loss.sh)
  gnuplot-nox    # benchmark plots
  jq             # the scripts that summarise JSON lines (loss curves, netns loss)
  prometheus-cpp-dev  # --metrics-listen: the metric families and their text format
  prometheus     # the metrics test scrapes a loopback cluster with a real server; promtool
  libsystemd-dev # sd_notify: READY, STATUS, STOPPING, WATCHDOG under Type=notify units
  systemd        # systemd-analyze verify of the unit file (tests/packaging)
  dpkg-dev fakeroot file  # scripts/package.sh: CPack's .deb generator
  etcd-server etcd-client  # the etcd backend: tests and the benchmark start a private server; etcdctl checks the key layout
  libssl-dev     # the etcd backend's optional TLS (Boost.Beast over Asio SSL)
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "install-deps: installing ${missing[*]}" >&2
sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then
  sudo_cmd=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
