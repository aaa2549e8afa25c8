#include "operator/plugin/json_yaml.h"

#include <yaml-cpp/yaml.h>

namespace aviary::plugin {
namespace {

void emit(YAML::Emitter& out, const kube::Json& j) {
  if ((j.is_object() || j.is_array()) && j.empty()) {  // "{}" and "[]" inline, as kubectl prints them
    out << YAML::Flow << (j.is_object() ? YAML::BeginMap : YAML::BeginSeq)
        << (j.is_object() ? YAML::EndMap : YAML::EndSeq);
    return;
  }
  switch (j.type()) {
    case kube::Json::value_t::object:
      out << YAML::BeginMap;
      for (const auto& [key, value] : j.items()) {
        out << YAML::Key << key << YAML::Value;
        emit(out, value);
      }
      out << YAML::EndMap;
      break;
    case kube::Json::value_t::array:
      out << YAML::BeginSeq;
      for (const auto& value : j) emit(out, value);
      out << YAML::EndSeq;
      break;
    case kube::Json::value_t::string:
      out << YAML::DoubleQuoted << j.get<std::string>();
      break;
    case kube::Json::value_t::boolean:
      out << j.get<bool>();
      break;
    case kube::Json::value_t::number_integer:
      out << j.get<long long>();
      break;
    case kube::Json::value_t::number_unsigned:
      out << j.get<unsigned long long>();
      break;
    case kube::Json::value_t::number_float:
      out << j.get<double>();
      break;
    default:
      out << YAML::Null;
  }
}

}  // namespace

std::string toYaml(const kube::Json& document) {
  YAML::Emitter out;
  emit(out, document);
  return std::string(out.c_str()) + "\n";
}

}  // namespace aviary::plugin
