// lowbit/gguf.hpp - GGUF block formats: types, the scalar reference and the row-level API.
#pragma once

#include "lowbit/formats/gguf/blocks.hpp"
#include "lowbit/formats/gguf/reference.hpp"
#include "lowbit/formats/gguf/rows.hpp"
#include "lowbit/formats/gguf/types.hpp"
