// Interaction tests: each tests/raft/testdata/*.txt is a script of commands, each followed by `----` and the
// trace it must produce (as in etcd's datadriven tests). SAMSA_REWRITE=1 rewrites the expectations in place; the
// diff of a rewrite is what gets reviewed.
//
// Commands:
//   add-nodes N [prevote=0|1] [checkquorum=0|1] [election=T] [seed=S]
//   campaign ID | tick ID [N] | propose ID DATA... | compact ID INDEX
//   process-ready [ID...] | deliver [ID...] | drop [ID...] | stabilize
//   partition 1,2 3 | heal | crash ID | restart ID | status [ID...] | log ID
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "mem_cluster.h"

namespace samsa::raft {
namespace {

namespace fs = std::filesystem;
using testing::mem_cluster;

struct test_case {
  std::string prefix;  // comments and blank lines before the command, kept verbatim on rewrite
  std::string command;
  std::string expected;
  int line = 0;
};

std::vector<test_case> parse(const std::string& text) {
  std::vector<test_case> out;
  std::istringstream in(text);
  std::string line, prefix;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (line.empty() || line[0] == '#') {
      prefix += line + "\n";
      continue;
    }
    test_case tc{prefix, line, "", n};
    prefix.clear();
    if (!std::getline(in, line) || line != "----") {
      ADD_FAILURE() << "line " << n + 1 << ": expected ---- after command";
      return out;
    }
    ++n;
    while (std::getline(in, line) && !line.empty()) {
      ++n;
      tc.expected += line + "\n";
    }
    ++n;
    out.push_back(std::move(tc));
  }
  return out;
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::istringstream in(s);
  std::string w;
  while (std::getline(in, w, sep)) {
    if (!w.empty()) out.push_back(w);
  }
  return out;
}

class interaction_env {
 public:
  interaction_env() { cluster_.set_trace(&out_); }

  std::string run(const std::string& command) {
    out_.clear();
    auto args = split(command, ' ');
    const std::string cmd = args[0];
    args.erase(args.begin());
    auto id_at = [&](size_t i) -> node_id { return i < args.size() ? std::stoull(args[i]) : no_node; };
    auto ids = [&]() {
      std::vector<node_id> v;
      for (auto& a : args) v.push_back(std::stoull(a));
      return v.empty() ? cluster_.ids() : v;
    };
    if (cmd == "add-nodes") {
      config cfg;
      for (size_t i = 1; i < args.size(); ++i) {
        auto kv = split(args[i], '=');
        int v = std::stoi(kv.at(1));
        if (kv[0] == "prevote") cfg.pre_vote = v != 0;
        if (kv[0] == "checkquorum") cfg.check_quorum = v != 0;
        if (kv[0] == "election") cfg.election_tick = v;
        if (kv[0] == "seed") cfg.seed = static_cast<uint64_t>(v);
      }
      cluster_.add_nodes(id_at(0), cfg);
      status(cluster_.ids());
    } else if (cmd == "campaign") {
      check(cluster_.raft(id_at(0)).campaign());
    } else if (cmd == "tick") {
      int n = args.size() > 1 ? std::stoi(args[1]) : 1;
      for (int i = 0; i < n; ++i) check(cluster_.raft(id_at(0)).tick());
    } else if (cmd == "propose") {
      std::vector<std::string> data(args.begin() + 1, args.end());
      auto r = cluster_.raft(id_at(0)).propose(data);
      out_ += r ? "index " + std::to_string(*r) + "\n" : "error: " + r.error().message() + "\n";
    } else if (cmd == "compact") {
      auto& n = cluster_.node(id_at(0));
      index_t idx = std::stoull(args.at(1));
      std::vector<std::string> st(n.state.begin(), n.state.begin() + static_cast<ptrdiff_t>(std::min<index_t>(idx, n.state.size())));
      check(n.raft->compact(idx, testing::encode_state(st)));
    } else if (cmd == "process-ready") {
      for (node_id id : ids()) cluster_.process_ready(id);
    } else if (cmd == "deliver") {
      for (node_id id : ids()) cluster_.deliver(id);
    } else if (cmd == "drop") {
      for (node_id id : ids()) cluster_.drop(id);
    } else if (cmd == "stabilize") {
      cluster_.stabilize();
    } else if (cmd == "partition") {
      std::vector<std::vector<node_id>> groups;
      for (auto& g : args) {
        groups.emplace_back();
        for (auto& i : split(g, ',')) groups.back().push_back(std::stoull(i));
      }
      cluster_.partition(groups);
    } else if (cmd == "heal") {
      cluster_.partition({});
    } else if (cmd == "crash") {
      cluster_.crash(id_at(0));
    } else if (cmd == "restart") {
      cluster_.restart(id_at(0));
      status({id_at(0)});
    } else if (cmd == "status") {
      status(ids());
    } else if (cmd == "log") {
      auto& d = cluster_.node(id_at(0)).durable;
      out_ += "snapshot " + std::to_string(d.snap.index) + "@" + std::to_string(d.snap.term) + "\n";
      for (auto& e : d.entries) out_ += describe(e) + "\n";
    } else {
      out_ += "unknown command " + cmd + "\n";
    }
    if (out_.empty()) out_ = "ok\n";
    return out_;
  }

 private:
  void check(std::error_code ec) {
    if (ec) out_ += "error: " + ec.message() + "\n";
  }
  void status(const std::vector<node_id>& ids) {
    for (node_id id : ids) {
      auto& n = cluster_.node(id);
      if (!n.raft) {
        out_ += std::to_string(id) + ": crashed\n";
        continue;
      }
      const core& r = *n.raft;
      out_ += std::to_string(id) + ": " + to_string(r.role()) + " term=" + std::to_string(r.term()) +
              " vote=" + std::to_string(r.vote()) + " leader=" + std::to_string(r.leader()) +
              " commit=" + std::to_string(r.commit()) + " log=" + std::to_string(r.log().first_index()) + ".." +
              std::to_string(r.log().last_index()) + " state=[" + testing::encode_state(n.state) + "]\n";
    }
  }

  mem_cluster cluster_;
  std::string out_;
};

class InteractionTest : public ::testing::TestWithParam<std::string> {};

TEST_P(InteractionTest, TraceMatchesGolden) {
  const fs::path path = fs::path(SAMSA_RAFT_TESTDATA) / GetParam();
  std::ifstream f(path);
  ASSERT_TRUE(f) << path;
  std::stringstream buf;
  buf << f.rdbuf();
  auto cases = parse(buf.str());
  ASSERT_FALSE(cases.empty());
  interaction_env env;
  const char* rw = std::getenv("SAMSA_REWRITE");
  const bool rewrite = rw && std::string(rw) == "1";
  std::string rewritten;
  for (auto& tc : cases) {
    std::string actual = env.run(tc.command);
    if (rewrite) {
      rewritten += tc.prefix + tc.command + "\n----\n" + actual + "\n";
    } else {
      EXPECT_EQ(tc.expected, actual) << GetParam() << ":" << tc.line << ": " << tc.command;
    }
  }
  if (rewrite) {
    rewritten.pop_back();  // no blank line after the last case
    std::ofstream(path) << rewritten;
  }
}

std::vector<std::string> scripts() {
  std::vector<std::string> out;
  for (auto& e : fs::directory_iterator(SAMSA_RAFT_TESTDATA)) {
    if (e.path().extension() == ".txt") out.push_back(e.path().filename().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

INSTANTIATE_TEST_SUITE_P(Scripts, InteractionTest, ::testing::ValuesIn(scripts()),
                         [](const auto& info) {
                           std::string n = info.param.substr(0, info.param.size() - 4);
                           for (auto& c : n) {
                             if (!isalnum(static_cast<unsigned char>(c))) c = '_';
                           }
                           return n;
                         });

}  // namespace
}  // namespace samsa::raft
