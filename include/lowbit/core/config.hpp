// lowbit/core/config.hpp - version and the few macros the library has.
#pragma once

#define LOWBIT_VERSION_MAJOR 0
#define LOWBIT_VERSION_MINOR 1
#define LOWBIT_VERSION_PATCH 0

namespace lowbit {
inline constexpr int version_major = LOWBIT_VERSION_MAJOR;
inline constexpr int version_minor = LOWBIT_VERSION_MINOR;
inline constexpr int version_patch = LOWBIT_VERSION_PATCH;
}  // namespace lowbit
