// libFuzzer target: parse_layout on arbitrary bytes must give a valid layout or a lowbit::error,
// never a crash, an out-of-bounds read, a leak or a huge allocation (ASan + UBSan watch). What it
// accepts must survive the writer: its header written back is the very same bytes (the version
// field aside), and the whole file written back parses to the same layout and tensor bytes.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "lowbit/formats/gguf/file_layout.hpp"
#include "lowbit/formats/gguf/file_writer.hpp"

using namespace lowbit::gguf;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto* bytes = reinterpret_cast<const std::byte*>(data);
    file_layout f;
    try {
        f = parse_layout(bytes, size);
    } catch (const lowbit::error&) {
        return 0;
    }
    if (f.alignment > (1u << 16)) return 0;  // valid, but the written copy would be mostly padding
    std::vector<tensor_source> tensors;
    for (const tensor_info& t : f.tensors)
        tensors.push_back({t.name, t.dims, t.type, [&f, &t, bytes](std::byte* dst, std::size_t n) {
                               if (n != t.bytes) __builtin_trap();
                               if (n != 0) std::memcpy(dst, bytes + f.data_offset + t.offset, n);
                           }});
    const std::vector<std::byte> again = write_memory(f.meta, tensors);
    std::vector<std::uint64_t> sizes;
    const std::vector<std::byte> head = detail::header(f.meta, tensors, sizes);
    if (head.size() > size || std::memcmp(head.data(), data, 4) != 0 || std::memcmp(head.data() + 8, data + 8, head.size() - 8) != 0) __builtin_trap();
    const file_layout g = parse_layout(again.data(), again.size());
    if (!(g.meta == f.meta) || g.tensors.size() != f.tensors.size() || g.alignment != f.alignment) __builtin_trap();
    for (std::size_t i = 0; i < f.tensors.size(); ++i) {
        const tensor_info &a = f.tensors[i], &b = g.tensors[i];
        if (a.name != b.name || a.dims != b.dims || a.type != b.type || a.bytes != b.bytes || a.offset != b.offset) __builtin_trap();
        if (a.bytes != 0 && std::memcmp(bytes + f.data_offset + a.offset, again.data() + g.data_offset + b.offset, a.bytes) != 0) __builtin_trap();
    }
    return 0;
}
