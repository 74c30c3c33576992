# Package.cmake — the Debian package mariadb-plugin-tls-policy (CPack DEB).
#
#   cmake --build BUILD && (cd BUILD && cpack -G DEB)
#   -> BUILD/mariadb-plugin-tls-policy_<version>_<arch>.deb
#
# Only the install rules of the component "tls_policy" below go into the
# package (CPACK_INSTALL_CMAKE_PROJECTS), so install() rules added elsewhere
# (test programs, ...) never leak into it.  See docs/install.md.
#
# The package depends on the exact mariadb-server version it was built
# against (read from dpkg at configure time): the plugin refuses to load into
# another server series, and it reads server internals (server_abi.c) whose
# layout is only known for the server build whose headers it was compiled
# with.  Re-run cmake after upgrading mariadb-server / libmariadbd-dev.

set(TP_DEB_PACKAGE mariadb-plugin-tls-policy)
set(TP_SERVER_PLUGIN_DIR "/usr/lib/mysql/plugin" CACHE PATH
    "The server's plugin directory (mariadbd's compiled-in plugin_dir on Debian)")
set(TP_CONF_DIR "/etc/mysql/mariadb.conf.d" CACHE PATH
    "Directory of the server's configuration snippets")
set(TP_DEB_MAINTAINER "tls_policy developers <dev@tls-policy.invalid>" CACHE STRING
    "Maintainer field of the Debian package")

# --- what gets installed (also used by `cmake --install BUILD --component tls_policy`)
install(TARGETS tls_policy
  LIBRARY DESTINATION "${TP_SERVER_PLUGIN_DIR}"
  PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ
  COMPONENT tls_policy)
# When stripping (CPack), also drop the sections dh_strip drops: .comment
# (the compiler's version string, kept by llvm-strip 19) and .note.
install(CODE "if(CMAKE_INSTALL_DO_STRIP)
  execute_process(COMMAND \"${CMAKE_STRIP}\" --remove-section=.comment --remove-section=.note
    \"\$ENV{DESTDIR}${TP_SERVER_PLUGIN_DIR}/tls_policy.so\" RESULT_VARIABLE _tp_rc)
  if(NOT _tp_rc EQUAL 0)
    message(FATAL_ERROR \"strip --remove-section=.comment of tls_policy.so failed\")
  endif()
endif()"
  COMPONENT tls_policy)
install(DIRECTORY "${CMAKE_SOURCE_DIR}/sql/"
  DESTINATION "share/${TP_DEB_PACKAGE}"
  COMPONENT tls_policy
  FILES_MATCHING PATTERN "*.sql")
install(FILES "${CMAKE_SOURCE_DIR}/packaging/60-tls-policy.cnf"
  DESTINATION "${TP_CONF_DIR}"
  COMPONENT tls_policy)
install(FILES "${CMAKE_SOURCE_DIR}/README.md"
  DESTINATION "share/doc/${TP_DEB_PACKAGE}"
  COMPONENT tls_policy)
install(DIRECTORY "${CMAKE_SOURCE_DIR}/docs/"
  DESTINATION "share/doc/${TP_DEB_PACKAGE}"
  COMPONENT tls_policy
  FILES_MATCHING PATTERN "*.md")
# Debian Policy 12.5 and 12.7: the machine-readable copyright file and the
# changelog (a native package: changelog.gz, generated below).
install(FILES "${CMAKE_SOURCE_DIR}/packaging/deb/copyright"
  "${CMAKE_BINARY_DIR}/package/doc/changelog.gz"
  DESTINATION "share/doc/${TP_DEB_PACKAGE}"
  COMPONENT tls_policy)
# The one lintian finding that does not apply (the file says why), shipped
# only when it applies: when the installed library calls no fortified libc
# function (__*_chk).  clang 14 (Debian 12) fortifies none of the plugin's
# calls; clang 19 (Debian 13) fortifies read(), and lintian then has nothing
# to report (an unused override would be a finding of its own).
install(CODE "execute_process(COMMAND readelf --dyn-syms -W
    \"\$ENV{DESTDIR}${TP_SERVER_PLUGIN_DIR}/tls_policy.so\"
  OUTPUT_VARIABLE _tp_syms RESULT_VARIABLE _tp_rc)
if(NOT _tp_rc EQUAL 0)
  message(FATAL_ERROR \"readelf --dyn-syms tls_policy.so failed\")
endif()
if(NOT _tp_syms MATCHES \" UND __[a-z0-9_]+_chk[@ \\n]\")
  file(INSTALL DESTINATION \"\${CMAKE_INSTALL_PREFIX}/share/lintian/overrides\" TYPE FILE
    RENAME \"${TP_DEB_PACKAGE}\" FILES \"${CMAKE_SOURCE_DIR}/packaging/deb/lintian-overrides\")
endif()"
  COMPONENT tls_policy)

# --- the exact server version this build is for
execute_process(COMMAND dpkg-query -W -f=\${Version} mariadb-server
  OUTPUT_VARIABLE TP_DEB_SERVER_VERSION RESULT_VARIABLE _tp_rc
  OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
if(NOT _tp_rc EQUAL 0 OR TP_DEB_SERVER_VERSION STREQUAL "")
  set(TP_DEB_SERVER_VERSION "")
  message(WARNING "Package.cmake: mariadb-server is not installed (dpkg); the Debian "
                  "package will not pin the server version")
else()
  # The headers come from libmariadbd-dev, built from the same source package.
  execute_process(COMMAND dpkg-query -W -f=\${Version} libmariadbd-dev
    OUTPUT_VARIABLE _tp_dev_version OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
  if(NOT _tp_dev_version STREQUAL TP_DEB_SERVER_VERSION)
    message(WARNING "Package.cmake: mariadb-server ${TP_DEB_SERVER_VERSION} but "
                    "libmariadbd-dev ${_tp_dev_version}: the plugin is built against "
                    "the headers of the latter")
  endif()
endif()

execute_process(COMMAND dpkg --print-architecture
  OUTPUT_VARIABLE TP_DEB_ARCH OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
if(TP_DEB_ARCH STREQUAL "")
  set(TP_DEB_ARCH amd64)
endif()

# Package version: the plugin version plus the server version it is built
# for (epoch dropped, '-' -> '.'), e.g. 0.1.0+mariadb10.11.19.0+deb12u1.
# A rebuild for a newer server is then a newer package, so apt upgrades it.
set(TP_DEB_VERSION "${PROJECT_VERSION}")
if(TP_DEB_SERVER_VERSION)
  string(REGEX REPLACE "^[0-9]+:" "" _tp_upstream "${TP_DEB_SERVER_VERSION}")
  string(REPLACE "-" "." _tp_upstream "${_tp_upstream}")
  string(APPEND TP_DEB_VERSION "+mariadb${_tp_upstream}")
endif()

# --- the Debian changelog, for exactly this package version
# The version has no Debian revision (the project packages itself), so the
# package is native and its one changelog is changelog.gz (Policy 12.7),
# compressed with gzip -9n (no name, no timestamp: reproducible).  Its date
# is SOURCE_DATE_EPOCH if set, else the time of the commit built.
if(DEFINED ENV{SOURCE_DATE_EPOCH})
  string(TIMESTAMP TP_DEB_CHANGELOG_DATE "%a, %d %b %Y %H:%M:%S +0000" UTC)
else()
  execute_process(COMMAND git -C "${CMAKE_SOURCE_DIR}" log -1 --format=%ct
    OUTPUT_VARIABLE _tp_epoch OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
  if(_tp_epoch MATCHES "^[0-9]+$")
    set(ENV{SOURCE_DATE_EPOCH} "${_tp_epoch}")
  endif()
  string(TIMESTAMP TP_DEB_CHANGELOG_DATE "%a, %d %b %Y %H:%M:%S +0000" UTC)
  unset(ENV{SOURCE_DATE_EPOCH})
endif()
set(_tp_codename "")
if(EXISTS /etc/os-release)
  file(STRINGS /etc/os-release _tp_codename REGEX "^VERSION_CODENAME=")
endif()
string(REGEX REPLACE "^VERSION_CODENAME=\"?([a-z]*)\"?$" "\\1" TP_DEB_DISTRIBUTION "${_tp_codename}")
if(TP_DEB_DISTRIBUTION STREQUAL "")
  set(TP_DEB_DISTRIBUTION unstable)
endif()
if(TP_DEB_SERVER_VERSION)
  set(TP_DEB_CHANGELOG_SERVER "${TP_DEB_SERVER_VERSION}")
else()
  set(TP_DEB_CHANGELOG_SERVER "${MARIADB_SERVER_VERSION}")
endif()
file(MAKE_DIRECTORY "${CMAKE_BINARY_DIR}/package/doc")
configure_file("${CMAKE_SOURCE_DIR}/packaging/deb/changelog.in"
  "${CMAKE_BINARY_DIR}/package/doc/changelog" @ONLY)
execute_process(COMMAND gzip -9nc
  INPUT_FILE "${CMAKE_BINARY_DIR}/package/doc/changelog"
  OUTPUT_FILE "${CMAKE_BINARY_DIR}/package/doc/changelog.gz"
  RESULT_VARIABLE _tp_rc)
if(NOT _tp_rc EQUAL 0)
  message(FATAL_ERROR "Package.cmake: gzip of the Debian changelog failed")
endif()

# --- maintainer scripts and conffiles (CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA)
set(_tp_ctl "${CMAKE_BINARY_DIR}/package/control")
file(MAKE_DIRECTORY "${_tp_ctl}")
file(WRITE "${_tp_ctl}/conffiles.tmp" "${TP_CONF_DIR}/60-tls-policy.cnf\n")
configure_file("${_tp_ctl}/conffiles.tmp" "${_tp_ctl}/conffiles" COPYONLY)
foreach(_tp_script prerm postinst)
  configure_file("${CMAKE_SOURCE_DIR}/packaging/deb/${_tp_script}" "${_tp_ctl}/${_tp_script}"
    @ONLY FILE_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE
    WORLD_READ WORLD_EXECUTE)
endforeach()

# --- CPack
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME "${TP_DEB_PACKAGE}")
set(CPACK_PACKAGE_VERSION "${TP_DEB_VERSION}")
set(CPACK_PACKAGE_CONTACT "${TP_DEB_MAINTAINER}")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "per-account TLS requirements for MariaDB logins")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_INSTALL_CMAKE_PROJECTS "${CMAKE_BINARY_DIR};${PROJECT_NAME};tls_policy;/")
set(CPACK_STRIP_FILES TRUE)
set(CPACK_DEBIAN_FILE_NAME "${TP_DEB_PACKAGE}_${TP_DEB_VERSION}_${TP_DEB_ARCH}.deb")
set(CPACK_DEBIAN_PACKAGE_NAME "${TP_DEB_PACKAGE}")
set(CPACK_DEBIAN_PACKAGE_VERSION "${TP_DEB_VERSION}")
set(CPACK_DEBIAN_PACKAGE_ARCHITECTURE "${TP_DEB_ARCH}")
set(CPACK_DEBIAN_PACKAGE_SECTION database)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${TP_DEB_MAINTAINER}")
string(REGEX REPLACE "-.*" "" _tp_server_upstream "${MARIADB_SERVER_VERSION}")
# CPack puts CPACK_PACKAGE_DESCRIPTION_SUMMARY in front as the synopsis line.
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION
"The tls_policy plugin for MariaDB ${_tp_server_upstream} decides every
login's transport security inside the handshake: a global
require-secure-transport rule and per-account requirements in the table
mysql.tls_policy (REQUIRE SSL/X509/SUBJECT/ISSUER/CIPHER and extensions:
SANs, SPIFFE IDs, fingerprint pins, minimum TLS version). A refused login
gets the standard error 1045. It also manages validated reloads of the
server's TLS certificates.
.
Load it with INSTALL SONAME 'tls_policy'.")
# The server pinned to the exact version; the libraries (libc6,
# libglib2.0-0, libssl3; the t64 names on Debian 13) with the minimum versions dpkg-shlibdeps derives
# from the symbols tls_policy.so uses (fixed fallback without dpkg-dev).
if(TP_DEB_SERVER_VERSION)
  set(CPACK_DEBIAN_PACKAGE_DEPENDS "mariadb-server (= ${TP_DEB_SERVER_VERSION})")
else()
  set(CPACK_DEBIAN_PACKAGE_DEPENDS "mariadb-server")
endif()
find_program(TP_DPKG_SHLIBDEPS dpkg-shlibdeps)
if(TP_DPKG_SHLIBDEPS)
  set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
else()
  # Debian 13 names the libraries for 64-bit time_t: libglib2.0-0t64, libssl3t64.
  execute_process(COMMAND dpkg-query -W -f=\${Status} libssl3t64
    OUTPUT_VARIABLE _tp_t64 ERROR_QUIET)
  if(_tp_t64 MATCHES "install ok installed")
    string(APPEND CPACK_DEBIAN_PACKAGE_DEPENDS ", libc6, libglib2.0-0t64 (>= 2.74), libssl3t64 (>= 3.0.0)")
  else()
    string(APPEND CPACK_DEBIAN_PACKAGE_DEPENDS ", libc6, libglib2.0-0 (>= 2.74), libssl3 (>= 3.0.0)")
  endif()
endif()
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
  "${_tp_ctl}/conffiles;${_tp_ctl}/prerm;${_tp_ctl}/postinst")
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION TRUE)
include(CPack)
