#!/usr/bin/env bash
# The .deb packages as a user meets them, from the normal build tree (no
# rebuild of lanlord): scripts/package.sh builds them; they are checked
# (names, contents, dependencies), unpacked with dpkg-deb -x into a scratch
# prefix (never installed into the system), and a consumer is built against
# that prefix with CMake (shared and static, a project that enables only
# CXX) and with pkg-config, then run: it starts a Node on loopback. Last, a
# project that add_subdirectory's lanlord is configured (not built) and
# must get the libraries only.
# Usage: package_test.sh BUILD_DIR WORK_DIR
set -euo pipefail
source_dir=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "$1" && pwd)
work=$2
rm -rf "$work"
mkdir -p "$work"
work=$(cd "$work" && pwd)
step() { echo "== $*"; }
fail() {
  echo "FAIL: $*" >&2
  exit 1
}
# Where the consumer's node listens, on loopback: a random group and port
# (as the socket tests pick theirs), never the default 239.255.76.76:7676.
group=239.$((RANDOM % 256)).$((RANDOM % 256)).$((1 + RANDOM % 254))
port=$((20000 + RANDOM % 20000))

step "scripts/package.sh"
"$source_dir/scripts/package.sh" "$build" "$work/debs" >"$work/package.log" 2>&1 ||
  { cat "$work/package.log" >&2; fail "scripts/package.sh"; }
version=$(sed -n 's/^CMAKE_PROJECT_VERSION:STATIC=//p' "$build/CMakeCache.txt")
deb() { ls "$work/debs/$1_${version}_"*.deb 2>/dev/null || fail "no $1 package in $work/debs"; }
lib_deb=$(deb liblanlord0)
dev_deb=$(deb liblanlord-dev)
tool_deb=$(deb lanlord)

step "contents and dependencies"
has() {  # deb, path regex
  dpkg-deb -c "$1" | awk '{ print $6 }' | grep -qE "^\./usr/$2\$" ||
    fail "$(basename "$1") lacks $2"
}
lacks() {
  ! dpkg-deb -c "$1" | awk '{ print $6 }' | grep -qE "^\./usr/$2\$" ||
    fail "$(basename "$1") should not hold $2"
}
has "$lib_deb" "lib/liblanlord\.so\.0"
has "$lib_deb" "lib/liblanlord\.so\.$version"
lacks "$lib_deb" "lib/liblanlord\.so"
lacks "$lib_deb" "include/.*"
has "$dev_deb" "lib/liblanlord\.so"
has "$dev_deb" "lib/liblanlord\.a"
has "$dev_deb" "lib/liblanlord_transport\.a"
has "$dev_deb" "include/lanlord/node\.hpp"
has "$dev_deb" "include/lanlord/export\.hpp"
has "$dev_deb" "lib/cmake/lanlord/lanlordConfig\.cmake"
has "$dev_deb" "lib/pkgconfig/lanlord\.pc"
lacks "$dev_deb" "lib/liblanlord\.so\.0"
lacks "$dev_deb" "bin/.*"
has "$tool_deb" "bin/lanlord"
has "$tool_deb" "share/man/man1/lanlord\.1"
has "$tool_deb" "share/bash-completion/completions/lanlord"
lacks "$tool_deb" "bin/lanlord-bench"
lacks "$tool_deb" "lib/.*\.so.*"
has "$tool_deb" "lib/systemd/system/lanlord@\.service"
has "$tool_deb" "share/doc/lanlord/examples/example\.conf"
depends() { dpkg-deb -f "$1" Depends; }
depends "$dev_deb" | grep -qF "liblanlord0 (= $version)" ||
  fail "liblanlord-dev does not depend on liblanlord0 (= $version): $(depends "$dev_deb")"
depends "$lib_deb" | grep -q "libcapnp" ||
  fail "liblanlord0 does not depend on libcapnp (shlibdeps): $(depends "$lib_deb")"
depends "$tool_deb" | grep -q "libsodium" ||
  fail "lanlord does not depend on libsodium (shlibdeps): $(depends "$tool_deb")"

step "unpack into $work/root"
for d in "$lib_deb" "$dev_deb" "$tool_deb"; do
  dpkg-deb -x "$d" "$work/root"
done
prefix=$work/root/usr
libdir=$(dirname "$(find "$prefix" -name 'liblanlord.so.0' | head -1)")

step "liblanlord.so exports the public API only"
symbols=$(nm -D -C --defined-only "$libdir/liblanlord.so.0")
grep -q "lanlord::Node::start()" <<<"$symbols" || fail "lanlord::Node::start() is not exported"
grep -q "lanlord::resolve_profile(" <<<"$symbols" || fail "lanlord::resolve_profile is not exported"
# Internals (transport/src, lib/src) and Cap'n Proto stay hidden.
if grep -E "StrandScheduler|MulticastLink|capnp::|kj::" <<<"$symbols" | head -3 | grep .; then
  fail "liblanlord.so exports internal symbols (above)"
fi
readelf -d "$libdir/liblanlord.so.0" | grep -q "SONAME.*\[liblanlord\.so\.0\]" ||
  fail "liblanlord.so.0 has no SONAME liblanlord.so.0"

# The unit starts the packaged program (filled in at install time).
grep -qx 'ExecStart=/usr/bin/lanlord .*' "$work/root/usr/lib/systemd/system/lanlord@.service" ||
  fail "lanlord@.service does not run /usr/bin/lanlord: $(grep ExecStart "$work/root/usr/lib/systemd/system/lanlord@.service")"

step "the packaged lanlord runs"
"$prefix/bin/lanlord" --version | grep -qF "$version" || fail "lanlord --version"
"$prefix/bin/lanlord" keygen 2>/dev/null | grep -qE '^[A-Za-z0-9+/=]{44}$' || fail "lanlord keygen"

consumer() {  # name, lanlord target
  step "CMake consumer ($2), CXX only"
  cmake -S "$source_dir/tests/package/consumer" -B "$work/$1" -G Ninja \
    -DCMAKE_PREFIX_PATH="$prefix" -DLANLORD_TARGET="$2" >"$work/$1.log" 2>&1 ||
    { cat "$work/$1.log" >&2; fail "configuring the $1 consumer"; }
  cmake --build "$work/$1" >>"$work/$1.log" 2>&1 ||
    { cat "$work/$1.log" >&2; fail "building the $1 consumer"; }
  "$work/$1/consumer" "$group" "$port" || fail "the $1 consumer"
}
consumer shared lanlord::lanlord
readelf -d "$work/shared/consumer" | grep -q "NEEDED.*liblanlord\.so\.0" ||
  fail "the shared consumer does not load liblanlord.so.0"
consumer static lanlord::transport
! readelf -d "$work/static/consumer" | grep -q "NEEDED.*liblanlord" ||
  fail "the static consumer loads liblanlord"

step "pkg-config consumer"
export PKG_CONFIG_PATH=$libdir/pkgconfig
flags=$(pkg-config --cflags --libs lanlord) || fail "pkg-config lanlord"
pkg-config --exact-version="$version" lanlord || fail "lanlord.pc's version is not $version"
# shellcheck disable=SC2086  # word splitting intended
c++ -std=c++20 -o "$work/pkgconfig-consumer" "$source_dir/tests/package/consumer/consumer.cpp" \
  $flags || fail "building with pkg-config's flags: $flags"
LD_LIBRARY_PATH=$libdir "$work/pkgconfig-consumer" "$group" "$port" || fail "the pkg-config consumer"

step "add_subdirectory(lanlord): the libraries only"
cmake -S "$source_dir/tests/package/subproject" -B "$work/vendor" -G Ninja \
  -DLANLORD_SOURCE_DIR="$source_dir" -DCMAKE_DISABLE_FIND_PACKAGE_doctest=ON \
  -DCMAKE_EXPORT_COMPILE_COMMANDS=ON >"$work/vendor.log" 2>&1 ||
  { cat "$work/vendor.log" >&2; fail "configuring a project that add_subdirectory's lanlord"; }
targets=$(cmake --build "$work/vendor" --target help | sed -n 's/^\([A-Za-z0-9_.-]*\): .*/\1/p')
grep -qx lanlord_transport <<<"$targets" || fail "add_subdirectory: no lanlord_transport target"
for t in lanlord core_tests lanlord_bench lanlord_cli_lib lanlord_app; do
  ! grep -qx "$t" <<<"$targets" || fail "add_subdirectory builds $t"
done
steps=$(ninja -C "$work/vendor" -n | grep -c '^\[')
! grep -q -- "-Werror" "$work/vendor/build.ninja" || fail "add_subdirectory: -Werror in the build"
vendor_command=$(grep '"command": .*consumer\.cpp' "$work/vendor/compile_commands.json") ||
  fail "add_subdirectory: the vendor's target is not in compile_commands.json"
! grep -qE -- "-W(all|extra|pedantic|error)" <<<"$vendor_command" ||
  fail "add_subdirectory: lanlord's warning flags reach the vendor's target: $vendor_command"
echo "ok: packages $(cd "$work/debs" && echo *.deb); add_subdirectory: $steps build steps"
