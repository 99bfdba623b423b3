// lowbit/core/view.hpp - a non-owning strided 2-D view over foreign memory.
//
// Element (r, c) lives at data[r * row_stride + c * col_stride]. A row-major matrix has
// col_stride = 1 and row_stride >= cols; a column-major one (an Eigen default matrix) has
// row_stride = 1 and col_stride >= rows. Strides count elements, not bytes. Dimensions are signed
// so that a negative value a caller computed by mistake is caught, not wrapped to a huge size.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <type_traits>

#include "lowbit/core/error.hpp"

namespace lowbit {

using index_t = std::ptrdiff_t;

template <class T>
struct matrix_view {
    T* data = nullptr;
    index_t rows = 0;
    index_t cols = 0;
    index_t row_stride = 0;
    index_t col_stride = 1;

    constexpr matrix_view() = default;
    // Row-major with rows packed back to back.
    constexpr matrix_view(T* d, index_t r, index_t c) : data(d), rows(r), cols(c), row_stride(c) {}
    constexpr matrix_view(T* d, index_t r, index_t c, index_t rs, index_t cs = 1)
        : data(d), rows(r), cols(c), row_stride(rs), col_stride(cs) {}
    // A view of T converts to a view of const T.
    template <class U, class = std::enable_if_t<std::is_same_v<const U, T> && !std::is_same_v<U, T>>>
    constexpr matrix_view(const matrix_view<U>& o)  // NOLINT(google-explicit-constructor)
        : data(o.data), rows(o.rows), cols(o.cols), row_stride(o.row_stride), col_stride(o.col_stride) {}

    constexpr T& operator()(index_t r, index_t c) const { return data[r * row_stride + c * col_stride]; }
    constexpr index_t size() const { return rows * cols; }
    constexpr bool empty() const { return rows == 0 || cols == 0; }
};

namespace detail {

inline bool mul_overflows(index_t a, index_t b) {
    return a != 0 && b > std::numeric_limits<index_t>::max() / a;
}

// Number of elements from data[0] to one past the last element the view touches.
template <class T>
index_t view_extent(const matrix_view<T>& v) {
    if (v.empty()) return 0;
    return (v.rows - 1) * v.row_stride + (v.cols - 1) * v.col_stride + 1;
}

}  // namespace detail

// Checks shape and strides of a view; `what` names the argument in the message. Empty views are
// valid. Two distinct elements never share an address: one stride must step over the whole
// extent of the other.
template <class T>
void validate_view(const matrix_view<T>& v, const char* what) {
    if (v.rows < 0) detail::fail(what, ": rows = ", v.rows, " is negative");
    if (v.cols < 0) detail::fail(what, ": cols = ", v.cols, " is negative");
    if (v.empty()) return;
    if (v.data == nullptr) detail::fail(what, ": data is null for a ", v.rows, " x ", v.cols, " view");
    if (v.row_stride < 1 && v.rows > 1)
        detail::fail(what, ": row stride ", v.row_stride, " must be positive");
    if (v.col_stride < 1 && v.cols > 1)
        detail::fail(what, ": column stride ", v.col_stride, " must be positive");
    const index_t rs = v.rows > 1 ? v.row_stride : 0;
    const index_t cs = v.cols > 1 ? v.col_stride : 0;
    if (detail::mul_overflows(v.rows, rs) || detail::mul_overflows(v.cols, cs) ||
        (v.rows - 1) * rs > std::numeric_limits<index_t>::max() - (v.cols - 1) * cs)
        detail::fail(what, ": a ", v.rows, " x ", v.cols, " view with strides (", v.row_stride, ", ",
                     v.col_stride, ") overflows the address range");
    const bool rows_apart = v.rows == 1 || v.cols == 1 || rs >= v.cols * cs;
    const bool cols_apart = v.rows == 1 || v.cols == 1 || cs >= v.rows * rs;
    if (!rows_apart && !cols_apart) {
        if (v.col_stride == 1)
            detail::fail(what, ": row stride ", v.row_stride, " is smaller than the row length ", v.cols);
        detail::fail(what, ": strides (", v.row_stride, ", ", v.col_stride, ") make elements of a ", v.rows,
                     " x ", v.cols, " view overlap");
    }
}

// A checked row-major view over a buffer of `size` elements: throws when the buffer is too short.
template <class T>
matrix_view<T> make_view(T* data, std::size_t size, index_t rows, index_t cols, index_t row_stride) {
    matrix_view<T> v(data, rows, cols, row_stride);
    validate_view(v, "make_view");
    const index_t need = detail::view_extent(v);
    if (static_cast<std::size_t>(need) > size)
        detail::fail("make_view: a ", rows, " x ", cols, " view with row stride ", row_stride, " needs ", need,
                     " elements but the buffer has ", size);
    return v;
}

template <class T>
matrix_view<T> make_view(T* data, std::size_t size, index_t rows, index_t cols) {
    return make_view(data, size, rows, cols, cols);
}

}  // namespace lowbit
