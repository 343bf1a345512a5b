# .deb packages with CPack, split as Debian splits a library
# (scripts/package.sh runs cpack on an existing build tree):
#   liblanlord0     component lib   liblanlord.so.0 (the shared library)
#   liblanlord-dev  component dev   headers, static libraries, CMake package,
#                                   lanlord.pc, the liblanlord.so link
#   lanlord         component tool  the CLI, its man page, bash completion,
#                                   the lanlord@.service systemd unit
# lanlord-bench (component bench) is in no package.
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME lanlord)
set(CPACK_PACKAGE_VENDOR "lanlord")
set(CPACK_PACKAGE_CONTACT "lanlord maintainers <lanlord@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "leader election for services on a LAN, over UDP multicast")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL lib dev tool)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
# dpkg-shlibdeps fills in the shared libraries each package's binaries use
# (libcapnp, libsodium, libstdc++, Boost.Program_options...).
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# Stripped, as Debian ships binaries (debug builds keep their symbols in the
# build tree).
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS ON)
# Component dependencies (cpack_add_component DEPENDS) become Depends.
set(CPACK_DEBIAN_ENABLE_COMPONENT_DEPENDS ON)

set(CPACK_DEBIAN_LIB_PACKAGE_NAME liblanlord0)
set(CPACK_DEBIAN_LIB_PACKAGE_SECTION libs)
set(CPACK_DEBIAN_DEV_PACKAGE_NAME liblanlord-dev)
set(CPACK_DEBIAN_DEV_PACKAGE_SECTION libdevel)
# What the headers include (Boost.Asio) and what the static libraries link.
set(CPACK_DEBIAN_DEV_PACKAGE_DEPENDS
  "libboost-dev (>= 1.74), libcapnp-dev, libsodium-dev, libssl-dev, pkg-config")
set(CPACK_DEBIAN_TOOL_PACKAGE_NAME lanlord)
set(CPACK_DEBIAN_TOOL_PACKAGE_SECTION net)

include(CPack)
cpack_add_component(lib DISPLAY_NAME "liblanlord0"
  DESCRIPTION "lanlord's embedding API as a shared library (liblanlord.so.0)")
# DEPENDS lib: Depends: liblanlord0 (= version), so the .so link resolves.
cpack_add_component(dev DISPLAY_NAME "liblanlord-dev" DEPENDS lib
  DESCRIPTION "lanlord's headers, static libraries, CMake package and pkg-config file")
cpack_add_component(tool DISPLAY_NAME "lanlord"
  DESCRIPTION "the lanlord command: join, watch, leader, run, keygen, demo")
