// lowbit/policy/axis.hpp - the axes a quantization scheme is made of.
//
// Every policy type names its axis through a member alias `axis`; scheme<...> sorts its arguments
// by that alias, so the arguments may come in any order and missing axes take their defaults.
#pragma once

#include <type_traits>

namespace lowbit::axis {

struct bits {};           // code range and storage width: int_bits<N>, uint_bits<N>
struct mapping {};        // how a range becomes scale (and zero point): symmetric, affine
struct granularity {};    // which elements share a scale: per_tensor, per_channel<A>, per_group<G>
struct rounding {};       // float -> integer step: round_nearest_even, ...
struct range {};          // how the clipping range is chosen: range_minmax, range_clip<P, Q>
struct scale_storage {};  // bytes per scale: scale_f32, scale_f16, scale_bf16
struct packing {};        // order of sub-byte codes in bytes: pack_adjacent, pack_split_halves<B>

}  // namespace lowbit::axis

namespace lowbit::detail {

template <class T, class = void>
struct axis_of {
    using type = void;
};
template <class T>
struct axis_of<T, std::void_t<typename T::axis>> {
    using type = typename T::axis;
};
template <class T>
using axis_of_t = typename axis_of<T>::type;

template <class T>
inline constexpr bool is_policy_v = !std::is_void_v<axis_of_t<T>>;

}  // namespace lowbit::detail
