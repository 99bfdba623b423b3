// lowbit/policy/scale_storage.hpp - how a scale is stored.
//
// The scale a quantizer uses is always the decoded stored value: scale = decode(encode(s)), so
// quantize and dequantize agree exactly whatever the storage. encode rounds to nearest even.
//   scale_f32    4 bytes, encode is the identity
//   scale_f16    2 bytes, IEEE binary16 (largest finite 65504, smallest subnormal 2^-24)
//   scale_bf16   2 bytes, bfloat16 (f32 exponent range, 8 significant bits)
#pragma once

#include "lowbit/core/half.hpp"
#include "lowbit/policy/axis.hpp"

namespace lowbit {

struct scale_f32 {
    using axis = lowbit::axis::scale_storage;
    using type = float;
    static constexpr int bits = 32;
    static constexpr const char* name = "f32";
    static float encode(float s) { return s; }
    static float decode(float s) { return s; }
};

struct scale_f16 {
    using axis = lowbit::axis::scale_storage;
    using type = fp16;
    static constexpr int bits = 16;
    static constexpr const char* name = "f16";
    static fp16 encode(float s) { return fp16::from_float(s); }
    static float decode(fp16 s) { return s.to_float(); }
};

struct scale_bf16 {
    using axis = lowbit::axis::scale_storage;
    using type = bf16;
    static constexpr int bits = 16;
    static constexpr const char* name = "bf16";
    static bf16 encode(float s) { return bf16::from_float(s); }
    static float decode(bf16 s) { return s.to_float(); }
};

}  // namespace lowbit
