// lowbit/lowbit.hpp - everything except the optional Eigen interop (lowbit/eigen.hpp).
#pragma once

#include "lowbit/core/config.hpp"
#include "lowbit/core/error.hpp"
#include "lowbit/core/half.hpp"
#include "lowbit/core/view.hpp"
#include "lowbit/policy/scheme.hpp"
#include "lowbit/quant/error_stats.hpp"
#include "lowbit/quant/pack.hpp"
#include "lowbit/quant/quantize.hpp"
#include "lowbit/quant/quantized_tensor.hpp"
