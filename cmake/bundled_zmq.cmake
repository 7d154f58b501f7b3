# bundled_zmq.cmake — ZeroMQ and CZMQ built here, minimal and static, instead of
# Debian's libzmq5 and libczmq4 (CP_BUNDLED_ZMQ; docs/benchmarks.md, "Shared
# libraries and memory"). Debian builds them with CURVE (libsodium), PGM, NORM,
# GSSAPI/Kerberos, libbsd, libsystemd, uuid and lz4: 23 of the controller's 38
# shared objects at start, none of which the bus uses (inproc, ipc and tcp,
# no security mechanism). Built without them, linked statically with
# libstdc++: 15 shared objects, VmRSS idle 15.4 -> 11.0 MB, `--version`
# 7.6 -> 3.6 ms, start -> BootNotification median 48.6 -> 40.2 ms (30
# interleaved starts). On by default (CMakeLists.txt). The sources are Debian's
# own patched trees, of the versions the -dev packages install, fetched by
# scripts/bundled-sources.sh (`make` runs it); both are built once per build dir
# (~50 s on 2 cores), then cached like the rest.
#
# One change to libzmq's compile-time configuration: a pipe's queue grows in
# chunks of 32 messages instead of 256 (src/config.hpp). Every connection
# holds two queues of one chunk or two; 256 x 64 bytes is 16 KB each, 2 MB
# allocated over the controller's ~60 pipes. It changes neither high-water
# marks nor any message's path, only how often a busy queue asks malloc.
#
# And one to its configure checks: HAVE_FORK is off. With it, libzmq calls
# getpid() on every signal and every wait of every socket's mailbox, to
# notice a child that uses its parent's context after fork(): one getpid per
# socket looked at, half the system calls of an idle wake-up (issue 12).
# Every fork() of this controller execs at once (actor_proc.c, transfer.c,
# board_link.c) and no child touches a ZeroMQ context before it does, so the
# check can never fire here.
include(ExternalProject)

cp_bundled_tree(CP_ZMQ_SRC "zeromq3-*")
cp_bundled_tree(CP_CZMQ_SRC "czmq-*")
if(NOT CP_ZMQ_SRC OR NOT CP_CZMQ_SRC)
  message(FATAL_ERROR "CP_BUNDLED_ZMQ: no zeromq3-* and czmq-* source trees in ${CP_BUNDLED_SOURCES}: "
                      "run scripts/bundled-sources.sh (make does), or configure with -DCP_BUNDLED_ZMQ=OFF "
                      "to link Debian's libzmq and libczmq instead")
endif()

set(CP_ZMQ_PREFIX ${CMAKE_BINARY_DIR}/zmq-min)
set(CP_ZMQ_FLAGS "-ffunction-sections -fdata-sections")
set(CP_ZMQ_COMMON -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX=${CP_ZMQ_PREFIX}
    -DCMAKE_INSTALL_LIBDIR=lib -DCMAKE_POSITION_INDEPENDENT_CODE=ON
    -DCMAKE_TOOLCHAIN_FILE=${CMAKE_TOOLCHAIN_FILE} -DCMAKE_PREFIX_PATH=${CP_ZMQ_PREFIX})

ExternalProject_Add(cp_zmq_build
  SOURCE_DIR ${CP_ZMQ_SRC}
  BINARY_DIR ${CMAKE_BINARY_DIR}/zmq-min-build/zmq
  # The chunk size (above); idempotent, so a re-run finds the tree as it left it.
  PATCH_COMMAND sed -i "s/message_pipe_granularity = 256,/message_pipe_granularity = 32,/" src/config.hpp
  CMAKE_ARGS ${CP_ZMQ_COMMON} -DBUILD_SHARED=OFF -DBUILD_STATIC=ON -DBUILD_TESTS=OFF
    -DWITH_LIBSODIUM=OFF -DENABLE_CURVE=OFF -DWITH_LIBBSD=OFF -DWITH_OPENPGM=OFF -DWITH_NORM=OFF
    -DWITH_VMCI=OFF -DENABLE_DRAFTS=OFF -DENABLE_WS=OFF -DWITH_DOCS=OFF -DWITH_DOC=OFF
    -DWITH_PERF_TOOL=OFF -DENABLE_CPACK=OFF -DENABLE_PRECOMPILED=OFF -DHAVE_FORK=OFF
    "-DCMAKE_CXX_FLAGS=${CP_ZMQ_FLAGS}"
    "-DCMAKE_C_FLAGS=${CP_ZMQ_FLAGS}"
  BUILD_BYPRODUCTS ${CP_ZMQ_PREFIX}/lib/libzmq.a
  UPDATE_COMMAND "" LOG_CONFIGURE ON LOG_BUILD ON LOG_INSTALL ON)

ExternalProject_Add(cp_czmq_build
  SOURCE_DIR ${CP_CZMQ_SRC}
  BINARY_DIR ${CMAKE_BINARY_DIR}/zmq-min-build/czmq
  DEPENDS cp_zmq_build
  CMAKE_COMMAND ${CMAKE_COMMAND} -E env PKG_CONFIG_PATH=${CP_ZMQ_PREFIX}/lib/pkgconfig ${CMAKE_COMMAND}
  CMAKE_ARGS ${CP_ZMQ_COMMON} -DCZMQ_BUILD_SHARED=OFF -DCZMQ_BUILD_STATIC=ON -DBUILD_TESTING=OFF
    -DENABLE_DRAFTS=OFF -DCZMQ_WITH_UUID=OFF -DCZMQ_WITH_SYSTEMD=OFF -DCZMQ_WITH_LZ4=OFF
    -DCZMQ_WITH_LIBCURL=OFF -DCZMQ_WITH_NSS=OFF -DCZMQ_WITH_LIBMICROHTTPD=OFF
    "-DCMAKE_C_FLAGS=${CP_ZMQ_FLAGS}"
  # Only the library: czmq's tools and selftest would link libzmq.a without libstdc++.
  BUILD_COMMAND ${CMAKE_COMMAND} --build . --target czmq-static
  INSTALL_COMMAND ${CMAKE_COMMAND} -E make_directory ${CP_ZMQ_PREFIX}/include
          COMMAND ${CMAKE_COMMAND} -E copy <BINARY_DIR>/libczmq.a ${CP_ZMQ_PREFIX}/lib/
          COMMAND ${CMAKE_COMMAND} -E copy_directory ${CP_CZMQ_SRC}/include ${CP_ZMQ_PREFIX}/include
  BUILD_BYPRODUCTS ${CP_ZMQ_PREFIX}/lib/libczmq.a
  UPDATE_COMMAND "" LOG_CONFIGURE ON LOG_BUILD ON LOG_INSTALL ON)

file(MAKE_DIRECTORY ${CP_ZMQ_PREFIX}/include)
add_library(cp_zmq STATIC IMPORTED GLOBAL)
set_target_properties(cp_zmq PROPERTIES IMPORTED_LOCATION ${CP_ZMQ_PREFIX}/lib/libzmq.a
  INTERFACE_INCLUDE_DIRECTORIES ${CP_ZMQ_PREFIX}/include
  INTERFACE_COMPILE_DEFINITIONS ZMQ_STATIC
  # libzmq is C++: its runtime linked in too, so no libstdc++.so / libgcc_s.so at start.
  INTERFACE_LINK_LIBRARIES "-Wl,-Bstatic;stdc++;-Wl,-Bdynamic;Threads::Threads")
add_dependencies(cp_zmq cp_zmq_build)
add_library(cp_czmq STATIC IMPORTED GLOBAL)
set_target_properties(cp_czmq PROPERTIES IMPORTED_LOCATION ${CP_ZMQ_PREFIX}/lib/libczmq.a
  INTERFACE_INCLUDE_DIRECTORIES ${CP_ZMQ_PREFIX}/include
  INTERFACE_LINK_LIBRARIES cp_zmq)
add_dependencies(cp_czmq cp_czmq_build)
add_link_options(-static-libgcc -Wl,--gc-sections)
