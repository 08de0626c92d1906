// samsactl output helpers: aligned tables for humans, JSON (nlohmann) for scripts, and the error/exit-code model.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace samsa::cli {

// Exit codes (documented in docs/cli.md).
enum ExitCode : int {
  kOk = 0,
  kError = 1,        // the broker refused the request or a Kafka error occurred
  kUsage = 2,        // bad command line
  kNotFound = 3,     // topic / group does not exist
  kUnreachable = 4,  // no broker answered within --timeout
  kUnhealthy = 5,    // `cluster health` found a problem
};

enum class Format { kTable, kJson, kYaml };

// A failure carrying its exit code and, when there is one, the Kafka error name (e.g. UNKNOWN_TOPIC_OR_PART).
class CliError : public std::runtime_error {
 public:
  CliError(int exit_code, std::string kafka_error, const std::string& message)
      : std::runtime_error(message), exit_code_(exit_code), kafka_error_(std::move(kafka_error)) {}
  int exit_code() const { return exit_code_; }
  const std::string& kafka_error() const { return kafka_error_; }

 private:
  int exit_code_;
  std::string kafka_error_;
};

// Column-aligned table: uppercase headers, two spaces between columns, no trailing blanks.
class Table {
 public:
  explicit Table(std::vector<std::string> headers) : headers_(std::move(headers)) {}
  void add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  std::string render() const;
  bool empty() const { return rows_.empty(); }

 private:
  std::vector<std::string> headers_;
  std::vector<std::vector<std::string>> rows_;
};

// JSON text with invalid UTF-8 replaced rather than throwing (record payloads may be binary).
std::string dump_json(const nlohmann::json& j, int indent = 2);

// The same value as a YAML block document (no leading "---", ends with a newline). Strings that YAML would read
// as something else (numbers, booleans, null, leading/trailing blanks, special characters) are double-quoted with
// JSON escapes, which YAML's double-quoted style reads identically.
std::string dump_yaml(const nlohmann::json& j);

}  // namespace samsa::cli
