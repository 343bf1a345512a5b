#!/usr/bin/env bash
# lanlord's .deb packages, from an existing build tree (cmake configured and
# built, as scripts/test.sh or the README's install section does):
#   scripts/package.sh [BUILD_DIR [OUT_DIR]]    (default: build, BUILD_DIR/packages)
# writes OUT_DIR/liblanlord0_*.deb (the shared library), liblanlord-dev_*.deb
# (headers, static libraries, CMake package, pkg-config file) and
# lanlord_*.deb (the program, its man page, bash completion, systemd unit);
# cmake/packaging.cmake says what goes where. Install with, for example,
#   sudo apt install ./build/packages/lanlord_*.deb
set -euo pipefail
build=${1:-build}
out=${2:-$build/packages}
if [ ! -f "$build/CPackConfig.cmake" ]; then
  echo "package.sh: $build is not a configured lanlord build tree (cmake -S . -B $build first)" >&2
  exit 2
fi
if ! grep -q '^LANLORD_BUILD_SHARED:BOOL=ON$' "$build/CMakeCache.txt"; then
  echo "package.sh: $build was configured with LANLORD_BUILD_SHARED=OFF: no liblanlord.so to package" >&2
  exit 2
fi
for tool in dpkg-deb dpkg-shlibdeps fakeroot; do
  command -v "$tool" >/dev/null ||
    { echo "package.sh: $tool is missing (scripts/install-deps.sh installs it)" >&2; exit 2; }
done
mkdir -p "$out"
rm -f "$out"/*.deb
cpack --config "$build/CPackConfig.cmake" -B "$out" -G DEB
rm -rf "$out/_CPack_Packages"
ls "$out"/*.deb
