// lowbit/io/atomic_file.hpp - write a file that appears complete or not at all (POSIX).
//
//     lowbit::atomic_file out("model.gguf");   // writes a uniquely named "model.gguf.tmp-..." beside it
//     out.write(bytes, n);                     // as often as needed
//     out.commit();                            // flush, then rename over "model.gguf"
//
// Until commit() returns, the destination is untouched (an existing file keeps its contents); if
// the object is destroyed without a commit (an exception, an early return) the temporary file is
// removed. rename() within one directory is atomic, so readers see the old file or the new one.
// The new file gets mode 0644 (mkstemp's 0600 would hide it from other users).
#pragma once

#include <cerrno>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <string>
#include <utility>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lowbit/core/error.hpp"

namespace lowbit {

class atomic_file {
public:
    // mkstemp() replaces the template's six trailing X characters with a unique name.
    explicit atomic_file(std::string path) : path_(std::move(path)), temp_(path_ + ".tmp-" + std::string(6, 'X')) {
        fd_ = ::mkstemp(temp_.data());
        if (fd_ < 0) detail::fail("cannot create a temporary file next to '", path_, "': ", std::strerror(errno));
        if (::fchmod(fd_, 0644) != 0) {
            const int e = errno;
            discard();
            detail::fail("cannot set the mode of '", temp_, "': ", std::strerror(e));
        }
    }
    atomic_file(const atomic_file&) = delete;
    atomic_file& operator=(const atomic_file&) = delete;
    ~atomic_file() { discard(); }

    void write(const void* data, std::size_t n) {
        if (fd_ < 0) detail::fail("atomic_file: '", path_, "' is already committed");
        const auto* p = static_cast<const char*>(data);
        while (n > 0) {
            const ssize_t w = ::write(fd_, p, n);
            if (w < 0 && errno == EINTR) continue;
            if (w < 0) detail::fail("cannot write '", temp_, "': ", std::strerror(errno));
            if (w == 0) detail::fail("cannot write '", temp_, "': no progress");
            p += w;
            n -= static_cast<std::size_t>(w);
        }
    }

    void commit() {
        if (fd_ < 0) detail::fail("atomic_file: '", path_, "' is already committed");
        if (::fsync(fd_) != 0) detail::fail("cannot flush '", temp_, "': ", std::strerror(errno));
        const int fd = fd_;
        fd_ = -1;
        if (::close(fd) != 0) {
            const int e = errno;
            ::unlink(temp_.c_str());
            detail::fail("cannot close '", temp_, "': ", std::strerror(e));
        }
        if (std::rename(temp_.c_str(), path_.c_str()) != 0) {
            const int e = errno;
            ::unlink(temp_.c_str());
            detail::fail("cannot rename '", temp_, "' to '", path_, "': ", std::strerror(e));
        }
        // The rename itself survives a crash only once the directory is flushed too.
        const std::string dir = path_.find('/') == std::string::npos ? "." : path_.substr(0, path_.rfind('/') + 1);
        const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd >= 0) {
            ::fsync(dfd);
            ::close(dfd);
        }
    }

private:
    void discard() noexcept {
        if (fd_ < 0) return;
        ::close(fd_);
        ::unlink(temp_.c_str());
        fd_ = -1;
    }

    std::string path_;
    std::string temp_;
    int fd_ = -1;
};

}  // namespace lowbit
