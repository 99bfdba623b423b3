// lowbit/policy/granularity.hpp - which elements share one scale (and zero point).
//
// For a rows x cols matrix (rows = output channels of a weight W[N x K], cols = K):
//   per_tensor       1 group: every element.                       group_of(r, c) = 0
//   per_channel<0>   rows groups: one per row.                     group_of(r, c) = r
//   per_channel<1>   cols groups: one per column.                  group_of(r, c) = c
//   per_group<G>     rows * cols / G groups of G consecutive elements of a row;
//                    cols must be a multiple of G.                 group_of(r, c) = r * (cols / G) + c / G
// Groups are numbered in that order, which is also the order of scales in a quantized tensor.
#pragma once

#include <string>

#include "lowbit/core/view.hpp"
#include "lowbit/policy/axis.hpp"

namespace lowbit {

struct per_tensor {
    using axis = lowbit::axis::granularity;
    static constexpr index_t group_count(index_t, index_t) { return 1; }
    static constexpr index_t group_of(index_t, index_t, index_t) { return 0; }
    static std::string describe(index_t, index_t) { return "the tensor"; }
};

template <int Axis>
struct per_channel {
    static_assert(Axis == 0 || Axis == 1, "per_channel<A>: A is 0 (one scale per row) or 1 (one per column)");
    using axis = lowbit::axis::granularity;
    static constexpr int channel_axis = Axis;
    static constexpr index_t group_count(index_t rows, index_t cols) { return Axis == 0 ? rows : cols; }
    static constexpr index_t group_of(index_t r, index_t c, index_t) { return Axis == 0 ? r : c; }
    static std::string describe(index_t g, index_t) {
        return (Axis == 0 ? "row " : "column ") + std::to_string(g);
    }
};

template <int G>
struct per_group {
    static_assert(G > 0, "per_group<G>: the group size G must be positive");
    using axis = lowbit::axis::granularity;
    static constexpr index_t group_size = G;
    static constexpr index_t group_count(index_t rows, index_t cols) { return rows * (cols / G); }
    static constexpr index_t group_of(index_t r, index_t c, index_t cols) { return r * (cols / G) + c / G; }
    static std::string describe(index_t g, index_t cols) {
        const index_t per_row = cols / G;
        return "row " + std::to_string(g / per_row) + ", group " + std::to_string(g % per_row);
    }
};

namespace detail {
// The group size of per_group<G>, 0 for the other granularities (whose groups are whole rows,
// columns or tensors, checked at run time).
template <class T>
inline constexpr index_t group_size_v = 0;
template <int G>
inline constexpr index_t group_size_v<per_group<G>> = G;
}  // namespace detail

}  // namespace lowbit
