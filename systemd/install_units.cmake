# Runs at install time (see CMakeLists.txt), when CMAKE_INSTALL_PREFIX holds the prefix in use.
foreach(dir bindir docdir destination)
  if(NOT IS_ABSOLUTE "${dvsync_units_${dir}}")
    set(dvsync_units_${dir} "${CMAKE_INSTALL_PREFIX}/${dvsync_units_${dir}}")
  endif()
endforeach()

foreach(unit dvsync.service dvsync@.service)
  file(READ "${dvsync_units_source}/${unit}" text)
  string(REPLACE "/usr/bin/dvsync" "${dvsync_units_bindir}/dvsync" text "${text}")
  string(REPLACE "/usr/share/doc/dvsync" "${dvsync_units_docdir}" text "${text}")
  file(WRITE "${dvsync_units_staging}/${unit}" "${text}")
endforeach()
# file(INSTALL) honours DESTDIR and records the files in install_manifest.txt.
file(INSTALL DESTINATION "${dvsync_units_destination}" TYPE FILE
     PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ
     FILES "${dvsync_units_staging}/dvsync.service" "${dvsync_units_staging}/dvsync@.service")
