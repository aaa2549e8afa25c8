#include "operator/core/logging.h"

#include <spdlog/formatter.h>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

#include "operator/core/text_safety.h"
#include "operator/core/time_format.h"

namespace aviary {
namespace {

// One JSON object per line: {"ts":…,"level":…,"logger":…,"msg":…}. The message is escaped by the
// JSON library, which a pattern-based formatter cannot do.
class JsonLineFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    nlohmann::json line = {
        {"ts", formatRfc3339Micro(msg.time)},
        {"level", std::string(spdlog::level::to_string_view(msg.level).data(),
                              spdlog::level::to_string_view(msg.level).size())},
        {"logger", std::string(msg.logger_name.data(), msg.logger_name.size())},
        {"msg", std::string(msg.payload.data(), msg.payload.size())},
    };
    std::string text = line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    text += '\n';
    dest.append(text.data(), text.data() + text.size());
  }
  std::unique_ptr<spdlog::formatter> clone() const override { return std::make_unique<JsonLineFormatter>(); }
};

// The text format: spdlog's pattern, with control bytes in the message escaped so that a name or an error
// body carrying CR/LF cannot forge a second log record.
class EscapingTextFormatter final : public spdlog::formatter {
 public:
  EscapingTextFormatter() : pattern_("%Y-%m-%dT%H:%M:%S.%fZ %^%-5l%$ %v", spdlog::pattern_time_type::utc) {}

  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    std::string_view payload(msg.payload.data(), msg.payload.size());
    if (!hasControlBytes(payload)) return pattern_.format(msg, dest);
    std::string escaped = escapeControl(payload);
    spdlog::details::log_msg copy = msg;
    copy.payload = spdlog::string_view_t(escaped.data(), escaped.size());
    pattern_.format(copy, dest);
  }
  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<EscapingTextFormatter>();
  }

 private:
  spdlog::pattern_formatter pattern_;
};

}  // namespace

Status initLogging(const std::string& level, const std::string& format) {
  if (format == "text") return initLogging(level, LogFormat::Text);
  if (format == "json") return initLogging(level, LogFormat::Json);
  return makeError(ErrorCode::Config, "--log-format must be text or json, got \"" + format + "\"");
}

Status initLogging(const std::string& level, LogFormat format) {
  auto parsed = spdlog::level::from_str(level);
  if (parsed == spdlog::level::off && level != "off") {
    return makeError(ErrorCode::Config,
                     "--log-level must be trace, debug, info, warn, error or off, got \"" + level + "\"");
  }
  auto logger = std::make_shared<spdlog::logger>("aviary", std::make_shared<spdlog::sinks::stderr_sink_mt>());
  if (format == LogFormat::Json) {
    logger->set_formatter(std::make_unique<JsonLineFormatter>());
  } else {
    logger->set_formatter(std::make_unique<EscapingTextFormatter>());
  }
  logger->set_level(parsed);
  spdlog::set_default_logger(logger);
  return {};
}

}  // namespace aviary
