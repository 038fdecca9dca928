# Read by cpack (CPACK_PROJECT_CONFIG_FILE) before it packages: a Debian package built from a tree
# configured for another prefix would install its files, and name them in its units, where a
# Debian system does not look.
if(CPACK_GENERATOR STREQUAL "DEB" AND NOT CPACK_PACKAGING_INSTALL_PREFIX STREQUAL "/usr")
  message(FATAL_ERROR "the Debian packages need a build tree configured with -DCMAKE_INSTALL_PREFIX=/usr "
                      "(this one has ${CPACK_PACKAGING_INSTALL_PREFIX}); ./run package does that")
endif()
