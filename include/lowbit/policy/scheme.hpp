// lowbit/policy/scheme.hpp - a quantization scheme: one policy per axis, in any order.
//
//   scheme<int_bits<4>, per_group<32>>                       symmetric int4, group 32, the rest default
//   scheme<affine, uint_bits<8>, per_channel<0>, scale_f16>  order does not matter
//
// Defaults for axes not given: int_bits<8>, symmetric, per_tensor, round_nearest_even,
// range_minmax, scale_f32, pack_adjacent. A combination that cannot work fails to compile with
// a static_assert that says what to change.
#pragma once

#include <type_traits>

#include "lowbit/policy/axis.hpp"
#include "lowbit/policy/bits.hpp"
#include "lowbit/policy/granularity.hpp"
#include "lowbit/policy/mapping.hpp"
#include "lowbit/policy/packing.hpp"
#include "lowbit/policy/range.hpp"
#include "lowbit/policy/rounding.hpp"
#include "lowbit/policy/scale_storage.hpp"

namespace lowbit {

namespace detail {

template <class Axis, class... Ps>
inline constexpr int count_axis_v = (0 + ... + (std::is_same_v<axis_of_t<Ps>, Axis> ? 1 : 0));

template <class Axis, class Default, class... Ps>
struct select_policy {
    using type = Default;
};
template <class Axis, class Default, class P, class... Ps>
struct select_policy<Axis, Default, P, Ps...> {
    using type = std::conditional_t<std::is_same_v<axis_of_t<P>, Axis>, P,
                                    typename select_policy<Axis, Default, Ps...>::type>;
};
template <class Axis, class Default, class... Ps>
using select_policy_t = typename select_policy<Axis, Default, Ps...>::type;

}  // namespace detail

template <class... Policies>
struct scheme {
    static_assert((detail::is_policy_v<Policies> && ...),
                  "scheme<...>: every argument must be a lowbit policy (a bits, mapping, granularity, rounding, "
                  "range, scale storage or packing type)");
    static_assert(detail::count_axis_v<axis::bits, Policies...> <= 1,
                  "scheme<...>: two bit-width policies given; keep one int_bits<N> or uint_bits<N>");
    static_assert(detail::count_axis_v<axis::mapping, Policies...> <= 1,
                  "scheme<...>: two mapping policies given; keep one of symmetric or affine");
    static_assert(detail::count_axis_v<axis::granularity, Policies...> <= 1,
                  "scheme<...>: two granularity policies given; keep one of per_tensor, per_channel<A>, per_group<G>");
    static_assert(detail::count_axis_v<axis::rounding, Policies...> <= 1,
                  "scheme<...>: two rounding policies given; keep one");
    static_assert(detail::count_axis_v<axis::range, Policies...> <= 1,
                  "scheme<...>: two range policies given; keep one of range_minmax or range_clip<P, Q>");
    static_assert(detail::count_axis_v<axis::scale_storage, Policies...> <= 1,
                  "scheme<...>: two scale storage policies given; keep one of scale_f32, scale_f16, scale_bf16");
    static_assert(detail::count_axis_v<axis::packing, Policies...> <= 1,
                  "scheme<...>: two packing policies given; keep one of pack_adjacent or pack_split_halves<B>");

    using bits = detail::select_policy_t<axis::bits, int_bits<8>, Policies...>;
    using mapping = detail::select_policy_t<axis::mapping, symmetric, Policies...>;
    using granularity = detail::select_policy_t<axis::granularity, per_tensor, Policies...>;
    using rounding = detail::select_policy_t<axis::rounding, round_nearest_even, Policies...>;
    using range = detail::select_policy_t<axis::range, range_minmax, Policies...>;
    using scale_storage = detail::select_policy_t<axis::scale_storage, scale_f32, Policies...>;
    using packing = detail::select_policy_t<axis::packing, pack_adjacent, Policies...>;

    static_assert(bits::is_signed || !std::is_same_v<mapping, symmetric>,
                  "scheme<...>: symmetric mapping needs signed codes; use int_bits<N>, or affine with uint_bits<N>");
    static_assert(!detail::is_split_halves_v<packing> || bits::bits == 4,
                  "scheme<...>: pack_split_halves is the 4-bit GGUF nibble order; use it with int_bits<4> or uint_bits<4>");

    static constexpr int packing_unit = detail::packing_unit(bits::bits);

    static_assert(detail::group_size_v<granularity> % packing_unit == 0,
                  "scheme<...>: the group size must be a multiple of the bit width's packing unit "
                  "(8 / gcd(N, 8) codes: 2 for 4 bits, 4 for 2 and 6 bits, 8 for 3 and 5 bits) so that "
                  "every group starts on a byte");
    static_assert(detail::group_size_v<granularity> % packing::block == 0,
                  "scheme<...>: with pack_split_halves<B>, the group size must be a multiple of B");

    using code_type = typename bits::code_type;
    using scale_type = typename scale_storage::type;
    static constexpr int qmin = bits::qmin;
    static constexpr int qmax = bits::qmax;
    static constexpr bool has_zero_point = mapping::has_zero_point;
};

namespace detail {
template <class T>
inline constexpr bool is_scheme_v = false;
template <class... Ps>
inline constexpr bool is_scheme_v<scheme<Ps...>> = true;
}  // namespace detail

// Ready schemes for the common cases. GGUF block types live in lowbit/formats/gguf.
namespace schemes {
using w8_per_channel = scheme<int_bits<8>, per_channel<0>>;
using w8_per_tensor = scheme<int_bits<8>, per_tensor>;
using a8_per_tensor_asym = scheme<uint_bits<8>, affine, per_tensor>;
using a8_per_row = scheme<int_bits<8>, per_channel<0>>;
using w4_g32_sym = scheme<int_bits<4>, per_group<32>>;
using w4_g128_sym = scheme<int_bits<4>, per_group<128>>;
using w4_g32_asym = scheme<uint_bits<4>, affine, per_group<32>>;
using w4_g128_asym = scheme<uint_bits<4>, affine, per_group<128>>;
using w3_g128_asym = scheme<uint_bits<3>, affine, per_group<128>>;
using w2_g64_asym = scheme<uint_bits<2>, affine, per_group<64>>;
}  // namespace schemes

}  // namespace lowbit
