// lowbit/formats/gguf/file_reader.hpp - open a GGUF file: validated layout, zero-copy tensor views.
//
//     lowbit::gguf::reader in("model.gguf");              // lowbit::error if anything is off
//     for (const auto& t : in.tensors())
//         std::printf("%s %s %lld x %lld\n", t.name.c_str(), lowbit::gguf::name_of(t.type), t.rows(), t.cols());
//     const std::byte* bytes = in.data(*in.find("output.weight"));  // t.bytes bytes, in the mapping
//
// Tensor data is not copied: data() points into a read-only mapping of the file that lives as long
// as the reader.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "lowbit/core/error.hpp"
#include "lowbit/formats/gguf/file_layout.hpp"
#include "lowbit/io/mapped_file.hpp"

namespace lowbit::gguf {

class reader {
public:
    explicit reader(const std::string& path) : file_(path), layout_(parse(file_, path)) {}

    const file_layout& layout() const { return layout_; }
    const metadata& meta() const { return layout_.meta; }
    const std::vector<tensor_info>& tensors() const { return layout_.tensors; }
    const tensor_info* find(std::string_view name) const {
        for (const tensor_info& t : layout_.tensors)
            if (t.name == name) return &t;
        return nullptr;
    }
    // The t.bytes bytes of tensor t (one of tensors()).
    const std::byte* data(const tensor_info& t) const { return file_.data() + layout_.data_offset + t.offset; }
    const mapped_file& file() const { return file_; }

private:
    static file_layout parse(const mapped_file& f, const std::string& path) {
        try {
            return parse_layout(f.data(), f.size());
        } catch (const error& e) {
            lowbit::detail::fail(path, ": ", e.what());
        }
    }

    mapped_file file_;
    file_layout layout_;
};

}  // namespace lowbit::gguf
