// tests/same_bits.hpp - float equality that tells -0 from +0 and compares NaN payloads.
#pragma once

#include <cstring>

namespace lowbit_test {

inline bool same_bits(float a, float b) { return std::memcmp(&a, &b, sizeof a) == 0; }

}  // namespace lowbit_test
