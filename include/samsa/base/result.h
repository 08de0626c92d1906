#pragma once
// An expected-like result: a value or a std::error_code. C++20 has no std::expected, and we keep
// errors as values at every boundary (exceptions are for bugs only).
#include <cassert>
#include <system_error>
#include <utility>
#include <variant>

namespace samsa {

template <typename T>
class [[nodiscard]] result {
 public:
  result(T value) : v_(std::move(value)) {}                 // NOLINT: implicit by design
  result(std::error_code ec) : v_(ec) { assert(ec); }       // NOLINT
  template <typename E, typename = std::enable_if_t<std::is_error_code_enum_v<E>>>
  result(E e) : result(make_error_code(e)) {}               // NOLINT

  bool has_value() const noexcept { return v_.index() == 0; }
  explicit operator bool() const noexcept { return has_value(); }
  T& value() & { assert(has_value()); return std::get<0>(v_); }
  const T& value() const& { assert(has_value()); return std::get<0>(v_); }
  T&& value() && { assert(has_value()); return std::get<0>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  std::error_code error() const noexcept { return has_value() ? std::error_code{} : std::get<1>(v_); }

 private:
  std::variant<T, std::error_code> v_;
};

}  // namespace samsa
