#include "samsa/raft/errc.h"

#include <string>

namespace samsa::raft {
namespace {
class category_impl final : public std::error_category {
 public:
  const char* name() const noexcept override { return "samsa.raft"; }
  std::string message(int ev) const override {
    switch (static_cast<errc>(ev)) {
      case errc::not_leader: return "not the leader";
      case errc::ready_pending: return "a ready batch is outstanding: call advance() first";
      case errc::invalid_message: return "message not addressed to this node or from a non-voter";
      case errc::invalid_argument: return "invalid argument";
      case errc::corrupt: return "persisted raft state is inconsistent";
      case errc::io_error: return "raft storage I/O error";
    }
    return "unknown raft error";
  }
};
}  // namespace

const std::error_category& raft_category() noexcept {
  static const category_impl c;
  return c;
}
std::error_code make_error_code(errc e) noexcept { return {static_cast<int>(e), raft_category()}; }

}  // namespace samsa::raft
