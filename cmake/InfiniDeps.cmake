# External dependencies of libinfini, all from Debian 12 packages.
# Included by the build and by the installed infiniConfig.cmake, so consumers
# resolve the same imported targets.
find_package(PkgConfig REQUIRED)
find_package(Threads REQUIRED)
find_package(fmt REQUIRED)
find_package(nlohmann_json 3 REQUIRED)
find_package(date REQUIRED)  # date/tz.h: IANA zones (GCC 12's <chrono> has no tzdb yet)
pkg_check_modules(INFINI_PC REQUIRED IMPORTED_TARGET
  opus samplerate soxr sqlite3 libcurl libwebsockets libsodium
  libcrypto)  # libcrypto: HMAC-SHA1 of Twilio webhook signatures (infini/twilio.h)

# pocketsphinx.pc names include dirs Debian does not ship (/usr/include/sphinxbase):
# keep only the ones that exist.
pkg_check_modules(INFINI_SPHINX REQUIRED pocketsphinx sphinxbase)
if(NOT TARGET infini_sphinx_deps)
  add_library(infini_sphinx_deps INTERFACE IMPORTED)
  set(sphinx_includes "")
  foreach(dir IN LISTS INFINI_SPHINX_INCLUDE_DIRS)
    if(EXISTS ${dir})
      list(APPEND sphinx_includes ${dir})
    endif()
  endforeach()
  set_target_properties(infini_sphinx_deps PROPERTIES
    INTERFACE_INCLUDE_DIRECTORIES "${sphinx_includes}"
    INTERFACE_LINK_LIBRARIES "${INFINI_SPHINX_LINK_LIBRARIES}")
endif()

# flite ships no pkg-config file: find its libraries by name.
set(INFINI_FLITE_LIBS "")
foreach(lib flite_cmu_us_kal16 flite_cmu_us_kal flite_cmu_us_slt flite_cmu_us_rms flite_cmu_us_awb
            flite_usenglish flite_cmulex flite)
  find_library(INFINI_LIB_${lib} NAMES ${lib} REQUIRED)
  list(APPEND INFINI_FLITE_LIBS ${INFINI_LIB_${lib}})
endforeach()
find_path(INFINI_FLITE_INCLUDE flite/flite.h REQUIRED)

# libev (no pkg-config file): the server runs libwebsockets on a libev loop (epoll) through
# lws's evlib plugin; both come with libwebsockets-dev (libev-dev, libwebsockets-evlib-ev).
find_library(INFINI_LIB_EV NAMES ev REQUIRED)
find_path(INFINI_EV_INCLUDE ev.h REQUIRED)

set(INFINI_EXTERNAL_LIBS PkgConfig::INFINI_PC ${INFINI_LIB_EV} infini_sphinx_deps ${INFINI_FLITE_LIBS} fmt::fmt
    nlohmann_json::nlohmann_json date::date-tz Threads::Threads)
pkg_get_variable(INFINI_POCKETSPHINX_MODELDIR pocketsphinx modeldir)
if(NOT INFINI_POCKETSPHINX_MODELDIR)
  set(INFINI_POCKETSPHINX_MODELDIR /usr/share/pocketsphinx/model)
endif()
