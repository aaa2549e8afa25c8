#include "sandbox/yaml_json.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace aviary::sandbox {
namespace {

using Json = nlohmann::json;

Json scalarToJson(const YAML::Node& node) {
  const std::string& text = node.Scalar();
  if (node.Tag() == "!") return text;  // quoted: always a string
  if (text.empty() || text == "~" || text == "null" || text == "Null" || text == "NULL") return nullptr;
  if (text == "true" || text == "True" || text == "TRUE") return true;
  if (text == "false" || text == "False" || text == "FALSE") return false;
  char* end = nullptr;
  errno = 0;
  long long asInt = std::strtoll(text.c_str(), &end, 10);
  if (end && *end == '\0' && errno == 0 &&
      (std::isdigit(static_cast<unsigned char>(text[0])) || text[0] == '-' || text[0] == '+')) {
    return asInt;
  }
  double asDouble = std::strtod(text.c_str(), &end);
  if (end && *end == '\0' &&
      (std::isdigit(static_cast<unsigned char>(text[0])) || text[0] == '-' || text[0] == '.')) {
    return asDouble;
  }
  return text;
}

Json toJson(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      return nullptr;
    case YAML::NodeType::Scalar:
      return scalarToJson(node);
    case YAML::NodeType::Sequence: {
      Json out = Json::array();
      for (const auto& item : node) out.push_back(toJson(item));
      return out;
    }
    case YAML::NodeType::Map: {
      Json out = Json::object();
      for (const auto& kv : node) out[kv.first.as<std::string>()] = toJson(kv.second);
      return out;
    }
  }
  return nullptr;
}

}  // namespace

Result<std::vector<Json>> yamlDocumentsToJson(const std::string& text, const std::string& sourceName) {
  std::vector<Json> out;
  try {
    for (const auto& doc : YAML::LoadAll(text)) {
      Json j = toJson(doc);
      if (j.is_null()) continue;
      if (!j.is_object()) return makeError(ErrorCode::Invalid, sourceName + ": a manifest must be a mapping");
      if (j.value("kind", "") == "List" && j.contains("items")) {
        for (auto& item : j["items"]) out.push_back(std::move(item));
      } else {
        out.push_back(std::move(j));
      }
    }
  } catch (const YAML::Exception& e) {
    return makeError(ErrorCode::Invalid, sourceName + ": " + e.what());
  }
  return out;
}

Result<std::vector<Json>> loadManifests(const std::string& fileOrDir) {
  namespace fs = std::filesystem;
  std::vector<std::string> files;
  if (fs::is_directory(fileOrDir)) {
    for (const auto& entry : fs::directory_iterator(fileOrDir)) {
      auto ext = entry.path().extension().string();
      if (ext == ".yaml" || ext == ".yml" || ext == ".json") files.push_back(entry.path().string());
    }
    std::sort(files.begin(), files.end());
  } else {
    files.push_back(fileOrDir);
  }
  std::vector<Json> out;
  for (const auto& file : files) {
    std::ifstream in(file);
    if (!in) return makeError(ErrorCode::Config, "cannot read " + file);
    std::stringstream buffer;
    buffer << in.rdbuf();
    auto docs = yamlDocumentsToJson(buffer.str(), file);
    if (!docs) return docs;
    for (auto& d : *docs) out.push_back(std::move(d));
  }
  return out;
}

}  // namespace aviary::sandbox
