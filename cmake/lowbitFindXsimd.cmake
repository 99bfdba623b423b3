# Finds xsimd 8.1 for lowbit; included by CMakeLists.txt and by the installed lowbitConfig.cmake.
#
# Debian's xsimd 8.1 package exports a target `xsimd` that links a target `xtl` (xsimd's optional
# xtl complex-number support), yet the package neither depends on xtl nor looks for it, so the
# linker is asked for -lxtl. lowbit does not use xtl: use the real xtl target when xtl is
# installed, otherwise an empty stand-in so that linking xsimd adds nothing.
include(CMakeFindDependencyMacro)
find_dependency(xsimd 8.1 CONFIG)
get_target_property(_lowbit_xsimd_links xsimd INTERFACE_LINK_LIBRARIES)
if(_lowbit_xsimd_links AND "xtl" IN_LIST _lowbit_xsimd_links AND NOT TARGET xtl)
  find_package(xtl CONFIG QUIET)
  if(NOT TARGET xtl)
    add_library(xtl INTERFACE IMPORTED)
  endif()
endif()
unset(_lowbit_xsimd_links)
