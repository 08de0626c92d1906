// DescribeLogDirs (35), v0-4: per log directory, the partitions it holds and their sizes; v4 adds the
// filesystem's total and usable bytes.
#include <filesystem>

#include "handlers.h"
#include "samsa/storage/partition_log.h"

namespace samsa::server {

boost::asio::awaitable<void> handle_describe_log_dirs(request_context& ctx) {
  protocol::DescribeLogDirsRequest req;
  if (!ctx.decode(req)) co_return;
  services& b = ctx.s;
  protocol::DescribeLogDirsResponse resp;
  // Group the wanted partitions by the directory that holds them.
  std::map<std::string, std::map<std::string, std::vector<std::shared_ptr<replica::partition>>>> by_dir;
  for (const auto& d : b.config.log_dirs) by_dir[std::filesystem::absolute(d).lexically_normal().string()];
  auto add = [&](const std::shared_ptr<replica::partition>& p) {
    const auto dir = std::filesystem::absolute(p->log().dir().parent_path()).lexically_normal().string();
    by_dir[dir][p->topic()].push_back(p);
  };
  if (!req.topics) {
    for (const auto& [name, parts] : b.partitions.all())
      for (const auto& p : parts)
        if (p) add(p);
  } else {
    for (const auto& rt : *req.topics)
      for (partition_index idx : rt.partitions)
        if (auto p = b.partitions.get(rt.topic, idx)) add(p);
  }
  for (const auto& [dir, topics] : by_dir) {
    auto& r = resp.results.emplace_back();
    r.log_dir = dir;
    std::error_code ec;
    const auto space = std::filesystem::space(dir, ec);
    if (!ec) {
      r.total_bytes = static_cast<int64_t>(space.capacity);
      r.usable_bytes = static_cast<int64_t>(space.available);
    }
    for (const auto& [name, parts] : topics) {
      auto& rt = r.topics.emplace_back();
      rt.name = name;
      for (const auto& p : parts) {
        auto& rp = rt.partitions.emplace_back();
        rp.partition_index = p->index();
        rp.partition_size = static_cast<int64_t>(p->log().size_bytes());
        rp.offset_lag = 0;
      }
    }
  }
  ctx.respond(resp);
  co_return;
}

}  // namespace samsa::server
