// CPU feature query and run-time selection of a tag.
#include <string>

#include <catch2/catch.hpp>

#include "lowbit/arch/dispatch.hpp"
#include "lowbit/arch/native.hpp"

using namespace lowbit;

namespace {
int pick_scalar() { return 0; }
int pick_avx2() { return 2; }
int pick_avx512() { return 512; }
using fn = int (*)();
}  // namespace

TEST_CASE("the CPU runs what this binary was compiled for", "[arch]") {
    const arch::cpu_features& f = arch::cpu();
    CHECK(&f == &arch::cpu());  // one cached answer
    CHECK(arch::supports<arch::native>(f));
#if defined(__AVX2__)
    CHECK(f.avx2);
#endif
#if defined(__AVX512BW__)
    CHECK(f.avx512bw);
#endif
#if defined(__AVX512VNNI__)
    CHECK(f.avx512_vnni);
#endif
}

TEST_CASE("select takes the first entry the CPU supports", "[arch]") {
    auto choose = [](const arch::cpu_features& f) {
        return arch::select<fn>({arch::entry<arch::avx512bw>(&pick_avx512), arch::entry<arch::avx2>(&pick_avx2),
                                 arch::entry<arch::scalar>(&pick_scalar)},
                                f);
    };
    arch::cpu_features none;
    CHECK(choose(none).fn() == 0);
    CHECK(std::string(choose(none).tag) == "scalar");

    arch::cpu_features v3;
    v3.sse4_1 = v3.sse4_2 = v3.popcnt = v3.avx = v3.avx2 = v3.fma = v3.f16c = v3.bmi1 = v3.bmi2 = v3.movbe = true;
    CHECK(choose(v3).fn() == 2);
    arch::cpu_features almost_v4 = v3;
    almost_v4.avx512f = almost_v4.avx512bw = almost_v4.avx512dq = almost_v4.avx512cd = true;  // no VL
    CHECK(choose(almost_v4).fn() == 2);
    arch::cpu_features v4 = almost_v4;
    v4.avx512vl = true;
    CHECK(choose(v4).fn() == 512);
    CHECK_FALSE(arch::supports<arch::avx512_vnni>(v4));

    CHECK_THROWS_WITH(arch::select<fn>({arch::entry<arch::avx2>(&pick_avx2)}, none),
                      Catch::Contains("none of the 1 entries runs on this CPU"));
}
