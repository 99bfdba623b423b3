// lowbit/io/mapped_file.hpp - a read-only memory mapping of a whole file (POSIX).
//
// The bytes are the file's pages: nothing is copied or read until touched, so a multi-gigabyte
// model opens instantly and tensor views cost nothing. The mapping is private and read-only; it
// stays valid while the object lives, also when the file is renamed or replaced by rename();
// another process that truncates the file in place makes reads past the new end fault (SIGBUS), as
// with any mapped file.
#pragma once

#include <cerrno>
#include <cstddef>
#include <cstring>
#include <string>
#include <utility>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lowbit/core/error.hpp"

namespace lowbit {

class mapped_file {
public:
    explicit mapped_file(const std::string& path) {
        const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) detail::fail("cannot open '", path, "': ", std::strerror(errno));
        struct stat st {};
        if (::fstat(fd, &st) != 0) {
            const int e = errno;
            ::close(fd);
            detail::fail("cannot stat '", path, "': ", std::strerror(e));
        }
        if (!S_ISREG(st.st_mode)) {
            ::close(fd);
            detail::fail("'", path, "' is not a regular file");
        }
        size_ = static_cast<std::size_t>(st.st_size);
        if (size_ != 0) {
            void* p = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd, 0);
            if (p == MAP_FAILED) {
                const int e = errno;
                ::close(fd);
                detail::fail("cannot map '", path, "' (", size_, " bytes): ", std::strerror(e));
            }
            data_ = static_cast<const std::byte*>(p);
        }
        ::close(fd);
        device_ = st.st_dev;
        inode_ = st.st_ino;
    }
    mapped_file(const mapped_file&) = delete;
    mapped_file& operator=(const mapped_file&) = delete;
    mapped_file(mapped_file&& o) noexcept { swap(o); }
    mapped_file& operator=(mapped_file&& o) noexcept {
        swap(o);
        return *this;
    }
    ~mapped_file() {
        if (data_ != nullptr) ::munmap(const_cast<std::byte*>(data_), size_);
    }

    const std::byte* data() const { return data_; }
    std::size_t size() const { return size_; }
    // Whether `path` names this very file (same device and inode), e.g. an output that would
    // overwrite the input.
    bool same_file(const std::string& path) const {
        struct stat st {};
        return ::stat(path.c_str(), &st) == 0 && st.st_dev == device_ && st.st_ino == inode_;
    }

private:
    void swap(mapped_file& o) noexcept {
        std::swap(data_, o.data_);
        std::swap(size_, o.size_);
        std::swap(device_, o.device_);
        std::swap(inode_, o.inode_);
    }

    const std::byte* data_ = nullptr;
    std::size_t size_ = 0;
    dev_t device_ = 0;
    ino_t inode_ = 0;
};

}  // namespace lowbit
