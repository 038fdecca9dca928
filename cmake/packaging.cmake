# Debian packages through CPack (`./run package`): `dvsync` (the daemon, its units, its system user,
# manual pages, documents) and `dataverse-emulator` (the test Web API), one install component each.
# Build them from a tree configured with -DCMAKE_INSTALL_PREFIX=/usr
# -DDVSYNC_SYSTEMD_UNIT_DIR=/lib/systemd/system, as ./run package does; cpack refuses any other prefix.
set(DVSYNC_PACKAGE_MAINTAINER "dvsync maintainers <maintainers@dvsync.invalid>" CACHE STRING
    "The Maintainer field of the Debian packages")

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME dvsync)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_VENDOR "the dvsync authors")
set(CPACK_PACKAGE_CONTACT "${DVSYNC_PACKAGE_MAINTAINER}")
set(CPACK_PACKAGE_DIRECTORY ${CMAKE_BINARY_DIR}/packages)
set(CPACK_COMPONENTS_ALL dvsync emulator)
set(CPACK_DEB_COMPONENT_INSTALL ON)
# Paths inside the package are those of the install itself: DESTDIR staging with the configured
# prefix, so the units' ExecStart names /usr/bin/dvsync, not the staging directory.
set(CPACK_SET_DESTDIR ON)
set(CPACK_INSTALL_PREFIX ${CMAKE_INSTALL_PREFIX})
set(CPACK_PACKAGING_INSTALL_PREFIX ${CMAKE_INSTALL_PREFIX})
set(CPACK_STRIP_FILES ON)
set(CPACK_PROJECT_CONFIG_FILE ${CMAKE_CURRENT_LIST_DIR}/packaging_checks.cmake)

set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_DEBIAN_COMPRESSION_TYPE xz)

set(CPACK_DEBIAN_DVSYNC_PACKAGE_NAME dvsync)
set(CPACK_DEBIAN_DVSYNC_PACKAGE_SECTION net)
# systemd-sysusers (from systemd or systemd-standalone-sysusers) creates the user in postinst;
# ca-certificates holds the trust store that verifies Dataverse and Entra ID.
set(CPACK_DEBIAN_DVSYNC_PACKAGE_DEPENDS "systemd-sysusers, ca-certificates")
set(CPACK_DEBIAN_DVSYNC_PACKAGE_SUGGESTS "sqlite3")
set(CPACK_DEBIAN_DVSYNC_DESCRIPTION "mirror Microsoft Dataverse tables into SQLite
dvsync keeps a local SQLite copy of Microsoft Dataverse tables current through
Dataverse change tracking: a full read first, then only the rows changed since,
each cycle committed together with its delta link so that mirror and token
never disagree. Readers query the file read-only while it syncs.
.
This package has the daemon, its systemd units (one service, and a template
for one instance per configuration), the system user dvsync, manual pages and
an example configuration.")
set(CPACK_DEBIAN_DVSYNC_PACKAGE_CONTROL_EXTRA
    ${PROJECT_SOURCE_DIR}/packaging/debian/postinst
    ${PROJECT_SOURCE_DIR}/packaging/debian/prerm
    ${PROJECT_SOURCE_DIR}/packaging/debian/postrm)

set(CPACK_DEBIAN_EMULATOR_PACKAGE_NAME dataverse-emulator)
set(CPACK_DEBIAN_EMULATOR_PACKAGE_SECTION devel)
set(CPACK_DEBIAN_EMULATOR_DESCRIPTION "local Microsoft Dataverse Web API for tests
dataverse-emulator serves the parts of the Dataverse Web API that dvsync uses:
tables and their metadata, change tracking with delta links, paging, writes,
an OAuth 2.0 token endpoint shaped like Microsoft Entra ID, service protection
limits and scripted faults. It keeps everything in memory and is meant for
tests, demonstrations and benchmarks.")

include(CPack)
