#include "operator/core/logging.h"

#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

namespace aviary {
namespace {

TEST(Logging, RejectsUnknownLevelAndFormat) {
  auto badLevel = initLogging("loud", "text");
  ASSERT_FALSE(badLevel.ok());
  EXPECT_NE(badLevel.error().message.find("--log-level"), std::string::npos);
  auto badFormat = initLogging("info", "xml");
  ASSERT_FALSE(badFormat.ok());
  EXPECT_NE(badFormat.error().message.find("--log-format"), std::string::npos);
}

TEST(Logging, JsonLinesAreValidJsonWithEscapedMessages) {
  ASSERT_TRUE(initLogging("info", "json").ok());
  ::testing::internal::CaptureStderr();
  spdlog::info("canary \"web\" says\nhello");
  spdlog::debug("hidden at info level");
  std::string out = ::testing::internal::GetCapturedStderr();
  ASSERT_FALSE(out.empty());
  ASSERT_EQ(out.back(), '\n');
  auto line = nlohmann::json::parse(out.substr(0, out.size() - 1));  // exactly one line
  EXPECT_EQ(line["level"], "info");
  EXPECT_EQ(line["msg"], "canary \"web\" says\nhello");
  EXPECT_EQ(line["logger"], "aviary");
  ASSERT_TRUE(initLogging("info", "text").ok());
}

TEST(Logging, TextRecordsStayOneLineWhateverTheMessageHolds) {
  ASSERT_TRUE(initLogging("info", "text").ok());
  ::testing::internal::CaptureStderr();
  // A tenant-chosen name that tries to forge a second record.
  spdlog::warn("canary {}: not found", "web\r\n2026-01-01T00:00:00Z INFO  promoted victim\x01");
  std::string out = ::testing::internal::GetCapturedStderr();
  ASSERT_FALSE(out.empty());
  EXPECT_EQ(out.find('\n'), out.size() - 1) << out;
  EXPECT_EQ(out.find('\r'), std::string::npos) << out;
  EXPECT_NE(out.find("web\\r\\n2026"), std::string::npos) << out;
  EXPECT_NE(out.find("\\x01"), std::string::npos) << out;
}

}  // namespace
}  // namespace aviary
