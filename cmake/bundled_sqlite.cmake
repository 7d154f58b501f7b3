# bundled_sqlite.cmake — SQLite built here from Debian's own source (the version
# libsqlite3-dev installs, Debian's patches applied; scripts/bundled-sources.sh
# fetches it and makes the amalgamation), with the options of a controller
# instead of a desktop's (CP_BUNDLED_SQLITE, on by default).
#
# Debian builds SQLite for every program on the system: FTS3/4/5, R*Tree,
# sessions, the dbstat and statement virtual tables, column metadata,
# extension loading, and without lookaside (SQLITE_OMIT_LOOKASIDE). Each of
# those extensions is code in the binary, and FTS3/FTS5 and R*Tree register
# their functions and modules on every connection opened. This controller
# uses plain tables, indexes, WAL and one online backup. Built here:
#   - none of those extensions, no JSON functions, no UTF-16 API;
#   - the options SQLite recommends for an application that does not need
#     what they remove (compile.html, "Recommended Compile-time Options"):
#     no memory statistics, no deprecated API, no progress callback, no
#     shared cache, no declared column types, no expression depth limit,
#     LIKE never matching blobs, alloca for scratch space;
#   - SQLITE_THREADSAFE=2: every connection and statement is used by one
#     thread at a time (each actor its own; store.c opens them
#     SQLITE_OPEN_NOMUTEX already), so a connection takes no mutex;
#   - lookaside on, as store.c configures it per connection;
#   - as Debian: SECURE_DELETE (a rotated AuthorizationKey is overwritten,
#     not left in a free page), synchronous FULL by default, temporary
#     tables in files unless asked otherwise.
#   - compiled for size (-Os): the controller runs a few statements per
#     event, and its one hot read, GetConfiguration, no longer reaches
#     SQLite (config readers keep a copy, actors/config/config_store.h).
# Measured at its introduction (issue 12, bench/notes.md): .text 2.45 ->
# 1.92 MB, the binary's resident pages idle 2.97 -> 2.48 MB; interleaved
# with the build before, VmRSS idle 10.3, 10.3 -> 9.6, 9.7 MB, --split
# summed 84.9 -> 77.5 MB, start -> BootNotification unchanged in the noise
# (25.9, 24.0 -> 21.0, 23.4 ms).
cp_bundled_tree(CP_SQLITE_SRC "sqlite3-*")
if(NOT CP_SQLITE_SRC OR NOT EXISTS "${CP_SQLITE_SRC}/amalgamation/sqlite3.c")
  message(FATAL_ERROR "CP_BUNDLED_SQLITE: no sqlite3-*/amalgamation/sqlite3.c in ${CP_BUNDLED_SOURCES}: "
                      "run scripts/bundled-sources.sh (make does), or configure with "
                      "-DCP_BUNDLED_SQLITE=OFF to link Debian's libsqlite3")
endif()
add_library(cp_sqlite STATIC ${CP_SQLITE_SRC}/amalgamation/sqlite3.c)
target_include_directories(cp_sqlite PUBLIC ${CP_SQLITE_SRC}/amalgamation)
target_compile_definitions(cp_sqlite PRIVATE
  SQLITE_THREADSAFE=2 SQLITE_DEFAULT_MEMSTATUS=0 SQLITE_OMIT_DEPRECATED
  SQLITE_OMIT_LOAD_EXTENSION SQLITE_OMIT_SHARED_CACHE SQLITE_OMIT_PROGRESS_CALLBACK
  SQLITE_OMIT_DECLTYPE SQLITE_OMIT_UTF16 SQLITE_OMIT_JSON SQLITE_MAX_EXPR_DEPTH=0
  SQLITE_LIKE_DOESNT_MATCH_BLOBS SQLITE_USE_ALLOCA
  SQLITE_SECURE_DELETE SQLITE_DEFAULT_SYNCHRONOUS=2 SQLITE_DEFAULT_WAL_SYNCHRONOUS=2
  SQLITE_TEMP_STORE=1 HAVE_USLEEP=1 HAVE_FDATASYNC=1 HAVE_ISNAN=1 HAVE_LOCALTIME_R=1
  HAVE_GMTIME_R=1 HAVE_MALLOC_USABLE_SIZE=1 HAVE_STRCHRNUL=1)
# Not our code: none of our warnings (with -Werror), and not under the
# sanitizers, as the Debian archive it replaces was not either.
target_compile_options(cp_sqlite PRIVATE -w -Os -fno-sanitize=all -ffunction-sections -fdata-sections)
set_target_properties(cp_sqlite PROPERTIES POSITION_INDEPENDENT_CODE ON)
target_link_libraries(cp_sqlite PUBLIC Threads::Threads ${CMAKE_DL_LIBS} m)
