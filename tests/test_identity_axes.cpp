// Vector kernels bit-identical to the reference along the other axes, and the tag each build selects.
#include <string>
#include <type_traits>

#include "identity.hpp"

using namespace lowbit;

TEMPLATE_TEST_CASE("vector kernels match the reference for every rounding mode", "[identity]",
                   (scheme<int_bits<4>, per_group<32>, round_half_away>),
                   (scheme<int_bits<4>, per_group<32>, round_half_up>),
                   (scheme<uint_bits<8>, affine, per_channel<0>, round_toward_zero>),
                   (scheme<int_bits<4>, per_group<32>, round_stochastic<3>>),
                   (scheme<uint_bits<3>, affine, per_tensor, round_stochastic<77>>)) {
    lowbit_test::check_identity<TestType>();
}

TEMPLATE_TEST_CASE("vector kernels match the reference for every granularity, range, storage and packing",
                   "[identity]", (scheme<int_bits<8>, per_channel<1>>), (scheme<uint_bits<4>, affine, per_channel<1>>),
                   (scheme<int_bits<8>, per_tensor, range_clip<9, 10>>),
                   (scheme<uint_bits<4>, affine, per_group<64>, scale_bf16>),
                   (scheme<int_bits<4>, per_group<32>, pack_split_halves<32>, scale_f16>),
                   (scheme<uint_bits<4>, affine, per_group<128>, pack_split_halves<32>>)) {
    lowbit_test::check_identity<TestType>();
}

TEST_CASE("stochastic rounding keeps its bits across a 2^32 index boundary", "[identity][stochastic]") {
    // A tensor with 2^32 elements is too large for a test, so the element kernel is called with
    // flat indices that cross a multiple of 2^32 inside a batch.
    using S = scheme<int_bits<4>, per_tensor, round_stochastic<9>>;
    using tags = lowbit_test::compiled_tags;
    std::apply(
        [](auto... tag) {
            auto check = [](auto t) {
                using Tag = decltype(t);
                if constexpr (!std::is_same_v<Tag, arch::scalar>) {
                    using vq = kernels::vector_quantizer<S, typename Tag::xsimd_arch>;
                    const group_params<S> p{{}, 1.0f, 1.0f, 0};
                    std::vector<float> x(64);
                    for (std::size_t i = 0; i < x.size(); ++i) x[i] = 0.37f * static_cast<float>(i % 11) - 1.7f;
                    for (std::uint64_t start : {0xfffffff0ull, 0xfffffffbull, 0x1fffffff9ull}) {
                        std::vector<std::uint8_t> vec(64), ref(64);
                        const auto lp = vq::broadcast(p);
                        vq::elements(x.data(), 64, start, vec.data(), [&](index_t) { return lp; },
                                     [&](index_t) -> const group_params<S>& { return p; });
                        for (std::size_t i = 0; i < 64; ++i)
                            ref[i] = static_cast<std::uint8_t>(quantize_value<S>(x[i], p, start + i));
                        INFO("tag " << Tag::name << ", first index " << start);
                        CHECK(vec == ref);
                    }
                }
            };
            (check(tag), ...);
        },
        tags{});
}

TEST_CASE("each build selects the kernel its flags allow", "[identity][arch]") {
    static_assert(std::is_same_v<kernels::quantize_arch_t<arch::avx512_vnni>, arch::avx512bw>);
    static_assert(std::is_same_v<kernels::quantize_arch_t<arch::avx_vnni>, arch::avx2>);
    static_assert(std::is_same_v<kernels::quantize_arch_t<arch::neon64>, arch::scalar>);
    const std::string selected = kernels::quantize_arch_t<arch::native>::name;
#if defined(__AVX512F__) && defined(__AVX512BW__) && defined(__AVX512DQ__) && defined(__AVX512CD__) && defined(__AVX512VL__)
    CHECK(selected == "avx512bw");
#elif defined(__AVX2__)
    CHECK(selected == "avx2");
#elif defined(__SSE4_1__)
    CHECK(selected == "sse4_1");
#else
    CHECK(selected == "scalar");
#endif
}
