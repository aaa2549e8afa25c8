// The first document of a YAML text as JSON, for tests that write their objects inline (a parse failure
// is a test failure, reported where it happened).
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "sandbox/yaml_json.h"

namespace aviary::testing {

inline nlohmann::json loadYaml(const std::string& yaml, const std::string& source = "test") {
  auto docs = sandbox::yamlDocumentsToJson(yaml, source);
  EXPECT_TRUE(docs) << docs.error().message;
  return docs && !docs->empty() ? docs->at(0) : nlohmann::json::object();
}

}  // namespace aviary::testing
