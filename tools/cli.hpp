// Shared command-line plumbing of the lowbit tools: options, numbers, types, progress, tables.
#pragma once

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

#include <unistd.h>

#include "lowbit/core/error.hpp"
#include "lowbit/formats/gguf/runtime_type.hpp"
#include "lowbit/formats/gguf/tensor_type.hpp"
#include "text.hpp"

namespace lowbit::tools {

// A malformed command line: the tool prints its usage after the message.
class usage_error : public error {
public:
    using error::error;
};

template <class... Parts>
[[noreturn]] void usage_fail(Parts&&... parts) {
    try {
        detail::fail(std::forward<Parts>(parts)...);
    } catch (const error& e) {
        throw usage_error(e.what());
    }
}

// argv as a list from which options are taken out by name; what is left are the positionals.
class arguments {
public:
    arguments(int argc, char** argv) : items_(argv + 1, argv + argc) {}

    bool flag(const std::string& name) {
        for (auto it = items_.begin(); it != items_.end(); ++it)
            if (*it == name) {
                items_.erase(it);
                return true;
            }
        return false;
    }
    // The value after `name`, or `fallback` when `name` is absent.
    std::string option(const std::string& name, const std::string& fallback = "") {
        for (auto it = items_.begin(); it != items_.end(); ++it)
            if (*it == name) {
                if (it + 1 == items_.end()) usage_fail(name, " needs a value");
                std::string v = *(it + 1);
                items_.erase(it, it + 2);
                return v;
            }
        return fallback;
    }
    // The remaining arguments, which must be exactly `n` and none an option.
    std::vector<std::string> positionals(std::size_t n) const {
        for (const std::string& a : items_)
            if (a.size() > 1 && a[0] == '-') usage_fail("unknown option ", a);
        if (items_.size() != n) usage_fail("expected ", n, " arguments, got ", items_.size());
        return items_;
    }

private:
    std::vector<std::string> items_;
};

inline std::int64_t parse_count(const std::string& text, const char* what, std::int64_t max = std::int64_t{1} << 40) {
    char* end = nullptr;
    errno = 0;
    const long long v = std::strtoll(text.c_str(), &end, 10);
    if (text.empty() || *end != '\0' || errno != 0 || v < 1 || v > max)
        usage_fail(what, " must be an integer from 1 to ", max, ", not '", text, "'");
    return v;
}

inline int parse_threads(const std::string& text) { return static_cast<int>(parse_count(text, "--threads", 1024)); }

// A type lowbit can quantize to, by its ggml name.
inline gguf::tensor_type parse_block_type(const std::string& name) {
    gguf::tensor_type t{};
    if (gguf::tensor_type_from_name(name, t) && gguf::has_codec(t)) return t;
    std::string known;
    gguf::for_each_type([&](auto b) { known += std::string(known.empty() ? "" : ", ") + decltype(b)::name; });
    usage_fail("unknown type '", name, "' (one of: ", known, ")");
}

inline std::string shape_text(const std::vector<std::int64_t>& dims) {
    std::string s = "[";
    for (std::size_t i = 0; i < dims.size(); ++i) s += (i ? ", " : "") + std::to_string(dims[i]);
    return s + "]";
}

inline std::string bytes_text(std::uint64_t n) {
    char buf[32];
    if (n < 1024) std::snprintf(buf, sizeof buf, "%llu B", static_cast<unsigned long long>(n));
    else if (n < 1024 * 1024) std::snprintf(buf, sizeof buf, "%.1f KiB", static_cast<double>(n) / 1024);
    else if (n < 1024ull * 1024 * 1024) std::snprintf(buf, sizeof buf, "%.1f MiB", static_cast<double>(n) / (1024.0 * 1024));
    else std::snprintf(buf, sizeof buf, "%.2f GiB", static_cast<double>(n) / (1024.0 * 1024 * 1024));
    return buf;
}

// A bar redrawn in place on a terminal; one plain line per step otherwise (logs, pipes).
class progress {
public:
    progress() : terminal_(::isatty(STDERR_FILENO) == 1) {}
    void operator()(std::size_t done, std::size_t total, const std::string& what) const {
        if (!terminal_) {
            if (done < total) std::fprintf(stderr, "[%zu/%zu] %s\n", done + 1, total, what.c_str());
            return;
        }
        constexpr std::size_t width = 30;
        const std::size_t filled = total ? width * done / total : width;
        std::fprintf(stderr, "\r[%s%s] %zu/%zu %-48.48s", std::string(filled, '#').c_str(), std::string(width - filled, '.').c_str(), done, total,
                     what.c_str());
        if (done == total) std::fputc('\n', stderr);
        std::fflush(stderr);
    }

private:
    bool terminal_;
};

// Runs a tool's body on its arguments: --help / -h print the usage, a bad command line prints it
// after the message (exit status 2), any other error is one line (exit status 1).
template <class Body>
int run_tool(const char* tool, const char* usage, int argc, char** argv, Body&& body) {
    try {
        arguments args(argc, argv);
        if (args.flag("--help") || args.flag("-h")) {
            std::fputs(usage, stdout);
            return 0;
        }
        return body(args);
    } catch (const usage_error& e) {
        std::fprintf(stderr, "%s: %s\n\n%s", tool, clean_text(e.what()).c_str(), usage);
        return 2;
    } catch (const std::exception& e) {
        // The message may quote a file's bytes (a tensor name): cleaned before the terminal sees it.
        std::fprintf(stderr, "%s: %s\n", tool, clean_text(e.what()).c_str());
        return 1;
    }
}

}  // namespace lowbit::tools
