# bundled_lws.cmake — libwebsockets built here from Debian's own source (the
# version libwebsockets-dev installs, Debian's patches applied; fetched by
# scripts/bundled-sources.sh), static, with what the controller uses and
# nothing else (CP_BUNDLED_LWS, on by default).
#
# Debian builds lws for every program on the system: shared, with
# permessage-deflate (zlib), HTTP/2, libcap, the raw-file role, the LEJP
# JSON parser, and each event library (libuv, libev, glib) as a plugin it
# looks for and loads when a context starts. At start the controller mapped
# libwebsockets.so, its libuv plugin, libuv.so, libz.so and libcap.so
# (~0.7 MB resident between them, five more objects for the dynamic loader)
# for one WebSocket client on a foreign libuv loop and one HTTP/1 server on
# loopback. Built here:
#   - static, with libuv compiled in (Debian's libuv_a.a: one copy of
#     libuv, which the ocpp actor's loop and lws share, gateway/wsclient.h);
#   - the http/1 and ws roles, client and server; no HTTP/2, no extensions
#     (the controller never offers permessage-deflate: OCPP frames are small
#     and a deflate window is 32 KB per connection), no zlib, no libcap,
#     no raw-file role, no LEJP, no UDP (lws uses it only for its own DNS,
#     NTP and DHCP clients, all off), no server Basic auth (the status page
#     is loopback and read-only);
#   - TLS through mbedTLS (CP_LWS_TLS=mbedtls, the default), Debian's
#     2.28 that the controller links for its certificates anyway, so no
#     OpenSSL is loaded (libssl and libcrypto were 1.7 MB resident, mostly
#     relocations, and most of the dynamic loader's work at start); or
#     through the system's OpenSSL (CP_LWS_TLS=openssl), as Debian's.
#     lws' mbedTLS client cannot take a CA bundle, a key file of its own,
#     a minimum version, suites or a verify callback, so one patch
#     (third_party/patches/libwebsockets-mbedtls-client-config.patch) hands
#     each connection's mbedtls_ssl_config to gateway/wsclient_tls.c
#     before its handshake.
# Measured at its introduction (issue 12, bench/notes.md), interleaved with
# the build before, two runs each: the controller maps 3 shared objects
# instead of 12; VmRSS idle 9.4, 9.3 -> 7.4, 7.2 MB, Pss 7.8, 7.7 -> 5.9,
# 5.7; start -> BootNotification with the board up 21.5, 20.1 -> 17.8,
# 15.5 ms; --split 79 -> 57 MB summed.
include(ExternalProject)

cp_bundled_tree(CP_LWS_SRC "libwebsockets-*")
if(NOT CP_LWS_SRC)
  message(FATAL_ERROR "CP_BUNDLED_LWS: no libwebsockets-* source tree in ${CP_BUNDLED_SOURCES}: "
                      "run scripts/bundled-sources.sh (make does), or configure with -DCP_BUNDLED_LWS=OFF "
                      "to link Debian's libwebsockets instead")
endif()
find_library(CP_UV_STATIC NAMES libuv_a.a libuv.a REQUIRED)
find_path(CP_UV_INCLUDE uv.h REQUIRED)
if(CP_LWS_TLS STREQUAL "mbedtls")
  # The archives as CP_STATIC_DEPS finds them (the same cache entries),
  # else the shared libraries CMakeLists.txt found
  set(CP_LWS_TLS_LIBS "")
  foreach(lib MBEDTLS MBEDX509 MBEDCRYPTO)
    string(TOLOWER ${lib} name)
    if(CP_STATIC_DEPS)
      find_library(CP_STATIC_${name} NAMES lib${name}.a)
    endif()
    if(CP_STATIC_DEPS AND CP_STATIC_${name})
      list(APPEND CP_LWS_TLS_LIBS ${CP_STATIC_${name}})
    else()
      list(APPEND CP_LWS_TLS_LIBS ${${lib}_LIBRARY})
    endif()
  endforeach()
  string(REPLACE ";" "|" CP_LWS_TLS_LIST "${CP_LWS_TLS_LIBS}")
  set(CP_LWS_TLS_ARGS -DLWS_WITH_MBEDTLS=ON -DLWS_MBEDTLS_INCLUDE_DIRS=${MBEDTLS_INCLUDE_DIR}
      -DLWS_MBEDTLS_LIBRARIES=${CP_LWS_TLS_LIST})
  set(CP_LWS_TLS_INCLUDE ${MBEDTLS_INCLUDE_DIR})
elseif(CP_LWS_TLS STREQUAL "openssl")
  find_package(OpenSSL REQUIRED)
  set(CP_LWS_TLS_ARGS -DLWS_WITH_MBEDTLS=OFF)
  set(CP_LWS_TLS_LIBS OpenSSL::SSL OpenSSL::Crypto)
  set(CP_LWS_TLS_INCLUDE ${OPENSSL_INCLUDE_DIR})
else()
  message(FATAL_ERROR "CP_LWS_TLS is \"${CP_LWS_TLS}\": mbedtls or openssl")
endif()
# The patch (above), once per source tree: a tree that has it is left as it is
set(CP_LWS_PATCH ${CMAKE_SOURCE_DIR}/third_party/patches/libwebsockets-mbedtls-client-config.patch)
file(READ ${CP_LWS_SRC}/include/libwebsockets/lws-callbacks.h CP_LWS_CALLBACKS_H)
if(NOT CP_LWS_CALLBACKS_H MATCHES "LWS_CALLBACK_MBEDTLS_CLIENT_CONFIG")
  execute_process(COMMAND patch -p1 -s -i ${CP_LWS_PATCH} WORKING_DIRECTORY ${CP_LWS_SRC}
                  RESULT_VARIABLE CP_LWS_PATCH_RC)
  if(NOT CP_LWS_PATCH_RC EQUAL 0)
    message(FATAL_ERROR "CP_BUNDLED_LWS: ${CP_LWS_PATCH} does not apply to ${CP_LWS_SRC}")
  endif()
endif()

set(CP_LWS_PREFIX ${CMAKE_BINARY_DIR}/lws-min)
# lws' SHA-1 (the WebSocket handshake's accept key) and CZMQ's zdigest are
# both the KAME sha1.c, with the same global names: renamed in lws' copy.
# lws' other choice, OpenSSL's SHA1(), makes OpenSSL 3 load its default
# provider on the first handshake: 2 MB more of libcrypto resident.
set(CP_LWS_FLAGS "-ffunction-sections -fdata-sections -Dsha1_pad=lws_kame_sha1_pad")
string(APPEND CP_LWS_FLAGS " -Dsha1_loop=lws_kame_sha1_loop -Dsha1_result=lws_kame_sha1_result")
ExternalProject_Add(cp_lws_build
  SOURCE_DIR ${CP_LWS_SRC}
  BINARY_DIR ${CMAKE_BINARY_DIR}/lws-min-build
  LIST_SEPARATOR |
  CMAKE_ARGS -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX=${CP_LWS_PREFIX}
    -DCMAKE_INSTALL_LIBDIR=lib -DCMAKE_POSITION_INDEPENDENT_CODE=ON
    -DCMAKE_TOOLCHAIN_FILE=${CMAKE_TOOLCHAIN_FILE}
    "-DCMAKE_C_FLAGS=${CP_LWS_FLAGS}"
    ${CP_LWS_TLS_ARGS}
    -DLWS_WITH_SHARED=OFF -DLWS_WITH_STATIC=ON -DLWS_STATIC_PIC=ON
    -DLWS_WITHOUT_TESTAPPS=ON -DLWS_WITH_MINIMAL_EXAMPLES=OFF -DLWS_WITH_EXPORT_LWSTARGETS=OFF
    -DLWS_WITH_LIBUV=ON -DLWS_WITH_EVLIB_PLUGINS=OFF
    -DLWS_LIBUV_LIBRARIES=${CP_UV_STATIC} -DLWS_LIBUV_INCLUDE_DIRS=${CP_UV_INCLUDE}
    -DLWS_WITH_HTTP2=OFF -DLWS_IPV6=ON -DLWS_WITH_ZLIB=OFF -DLWS_WITHOUT_EXTENSIONS=ON
    -DLWS_ROLE_RAW_FILE=OFF -DLWS_WITH_LEJP=OFF -DLWS_WITH_LEJP_CONF=OFF -DLWS_WITH_DIR=OFF
    -DLWS_WITH_UDP=OFF -DLWS_WITH_HTTP_BASIC_AUTH=OFF
    # lws links libcap when it finds it; preset its check's answer
    -DLWS_HAVE_LIBCAP=OFF
    # lws' own -Werror meets newer compilers than it was written for
    -DDISABLE_WERROR=ON
  BUILD_BYPRODUCTS ${CP_LWS_PREFIX}/lib/libwebsockets.a
  UPDATE_COMMAND "" LOG_CONFIGURE ON LOG_BUILD ON LOG_INSTALL ON)

file(MAKE_DIRECTORY ${CP_LWS_PREFIX}/include)
add_library(cp_uv STATIC IMPORTED GLOBAL)
set_target_properties(cp_uv PROPERTIES IMPORTED_LOCATION ${CP_UV_STATIC}
  INTERFACE_INCLUDE_DIRECTORIES ${CP_UV_INCLUDE}
  INTERFACE_LINK_LIBRARIES "Threads::Threads;${CMAKE_DL_LIBS}")
add_library(cp_lws STATIC IMPORTED GLOBAL)
set_target_properties(cp_lws PROPERTIES IMPORTED_LOCATION ${CP_LWS_PREFIX}/lib/libwebsockets.a
  INTERFACE_INCLUDE_DIRECTORIES "${CP_LWS_PREFIX}/include;${CP_LWS_TLS_INCLUDE}"
  INTERFACE_LINK_LIBRARIES "cp_uv;${CP_LWS_TLS_LIBS}")
add_dependencies(cp_lws cp_lws_build)
