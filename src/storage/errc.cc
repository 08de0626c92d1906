#include "samsa/storage/errc.h"

namespace samsa::storage {
namespace {
class category_impl final : public std::error_category {
 public:
  const char* name() const noexcept override { return "samsa.storage"; }
  std::string message(int ev) const override {
    switch (static_cast<errc>(ev)) {
      case errc::out_of_range: return "offset out of range";
      case errc::corrupt: return "log corrupt: fsynced data failed validation";
      case errc::io_error: return "I/O error";
      case errc::disk_full: return "no space left on device";
      case errc::log_failed: return "log failed (a previous fsync failed); refusing writes";
      case errc::invalid_batch: return "invalid record batch";
      case errc::invalid_argument: return "invalid argument";
      case errc::not_found: return "not found";
      case errc::closed: return "log closed";
    }
    return "unknown storage error";
  }
};
}  // namespace

const std::error_category& storage_category() noexcept {
  static const category_impl c;
  return c;
}
std::error_code make_error_code(errc e) noexcept { return {static_cast<int>(e), storage_category()}; }

}  // namespace samsa::storage
