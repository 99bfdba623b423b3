// lowbit/core/error.hpp - the one exception type of the library.
//
// Every check on caller input throws lowbit::error with a message that names the argument and the
// bad value ("quantize: input has NaN at row 3, column 17 (group 0)"). Hot kernels take views that
// were validated at the API boundary and never throw.
#pragma once

#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>

namespace lowbit {

class error : public std::runtime_error {
public:
    explicit error(const std::string& what) : std::runtime_error(what) {}
};

namespace detail {

// Builds a message from streamable parts: fail("quantize: rows = ", rows, " is negative").
template <class... Parts>
[[noreturn]] void fail(Parts&&... parts) {
    std::ostringstream os;
    (os << ... << std::forward<Parts>(parts));
    throw error(os.str());
}

}  // namespace detail
}  // namespace lowbit
