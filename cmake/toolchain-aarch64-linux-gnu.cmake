# toolchain-aarch64-linux-gnu.cmake — cross-compiles chargepointd for a
# 64-bit ARM board (issue 16; `make cross ARCH=arm64`, scripts/cross.sh).
#
# Why it exists: the charger's board is arm64, the build machine is amd64.
# Debian's multiarch does the heavy lifting: crossbuild-essential-arm64 gives
# aarch64-linux-gnu-gcc, which already searches /usr/include and the
# multiarch library dir /usr/lib/aarch64-linux-gnu where the `:arm64` -dev
# packages put their libraries. What this file adds is pkg-config: it must
# read the arm64 .pc files, never the build machine's, plus the small overlay
# scripts/cross.sh unpacks for the two -dev packages that cannot be installed
# beside their amd64 twins (docs/packaging.md, "arm64").
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)   # the bundled libzmq (CP_BUNDLED_ZMQ) is C++
set(CMAKE_LIBRARY_ARCHITECTURE aarch64-linux-gnu)

# Programs (git, cmake's helpers) are the build machine's; libraries and
# headers are searched in the usual prefixes, where CMAKE_LIBRARY_ARCHITECTURE
# picks lib/aarch64-linux-gnu (an amd64 library would not link anyway).
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)

# The overlay of unpacked arm64 -dev packages (scripts/cross.sh passes it).
# try_compile reads this file again, in-process: without the variable passed
# on, it would reset PKG_CONFIG_LIBDIR to a path without the overlay.
set(CP_CROSS_OVERLAY "" CACHE PATH "unpacked arm64 -dev packages that multiarch cannot co-install")
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES CP_CROSS_OVERLAY)
set(_cp_pc "/usr/lib/aarch64-linux-gnu/pkgconfig:/usr/share/pkgconfig")
if(CP_CROSS_OVERLAY)
  set(_cp_pc "${CP_CROSS_OVERLAY}/usr/lib/aarch64-linux-gnu/pkgconfig:${_cp_pc}")
endif()
set(ENV{PKG_CONFIG_LIBDIR} "${_cp_pc}")
set(ENV{PKG_CONFIG_PATH} "")
set(ENV{PKG_CONFIG_SYSROOT_DIR} "")

# Unit tests run under user-mode emulation. The arm64 loader and libraries
# are the multiarch ones (libc6:arm64 and friends), found at their usual
# paths, so qemu needs no -L prefix. With binfmt_misc registered this is not
# needed either, but ctest then works on a machine without it.
find_program(CP_QEMU_AARCH64 NAMES qemu-aarch64-static qemu-aarch64)
if(CP_QEMU_AARCH64)
  set(CMAKE_CROSSCOMPILING_EMULATOR "${CP_QEMU_AARCH64}")
endif()
