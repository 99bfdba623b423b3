// lowbit/gguf_file.hpp - GGUF files: read (memory-mapped, validated), write (atomic), convert.
// POSIX only (mmap, mkstemp, rename).
#pragma once

#include "lowbit/formats/gguf/convert.hpp"
#include "lowbit/formats/gguf/file_layout.hpp"
#include "lowbit/formats/gguf/file_reader.hpp"
#include "lowbit/formats/gguf/file_writer.hpp"
#include "lowbit/formats/gguf/metadata.hpp"
#include "lowbit/formats/gguf/runtime_type.hpp"
#include "lowbit/formats/gguf/tensor_type.hpp"
#include "lowbit/gguf.hpp"
