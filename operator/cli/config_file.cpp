#include "operator/cli/config_file.h"

#include <yaml-cpp/yaml.h>
#include <boost/program_options/parsers.hpp>

#include <set>

namespace aviary::cli {
namespace po = boost::program_options;

namespace {

// Keys that make sense only on a command line.
const std::set<std::string> kCommandLineOnly = {"help", "version", "config"};

Error configError(const std::string& path, const std::string& message) {
  return Error{ErrorCode::Config, "--config " + path + ": " + message};
}

// A flag's values from one YAML node: a scalar is one value, a list (of scalars) one value per item.
Result<std::vector<std::string>> valuesOf(const std::string& path, const std::string& key,
                                          const YAML::Node& node, bool multiple) {
  const std::string where = "key \"" + key + "\"";
  if (node.IsNull()) return configError(path, where + " has no value");
  if (node.IsScalar()) return std::vector<std::string>{node.Scalar()};
  if (node.IsMap()) return configError(path, where + " must be a value or a list of values, not a mapping");
  if (!multiple) return configError(path, where + " takes one value, not a list");
  std::vector<std::string> values;
  for (const auto& item : node) {
    if (!item.IsScalar()) return configError(path, where + ": every item of the list must be a value");
    values.push_back(item.Scalar());
  }
  return values;
}

}  // namespace

Result<void> storeConfigFile(const std::string& path, const po::options_description& flags,
                             po::variables_map& vm) {
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::BadFile&) {
    return configError(path, "cannot be read");
  } catch (const YAML::Exception& e) {
    // e.mark is 0-based; editors count from 1.
    return configError(path, "not valid YAML at line " + std::to_string(e.mark.line + 1) + ", column " +
                                 std::to_string(e.mark.column + 1) + ": " + e.msg);
  }
  if (root.IsNull()) return {};  // an empty file sets nothing
  if (!root.IsMap()) return configError(path, "must be a mapping of flag names to values");
  for (const auto& entry : root) {
    if (!entry.first.IsScalar()) return configError(path, "every key must be a flag name");
    const std::string key = entry.first.Scalar();
    const po::option_description* flag = flags.find_nothrow(key, false);
    if (!flag || kCommandLineOnly.count(key)) {
      return configError(path, "unknown key \"" + key + "\" (the keys are the flags of aviary --help)");
    }
    if (vm.count(key) && !vm[key].defaulted()) continue;  // the command line overrides the file
    auto values = valuesOf(path, key, entry.second, flag->semantic()->max_tokens() > 1);
    if (!values) return values.error();
    // One option at a time, so a refused value is reported with its key.
    po::parsed_options parsed(&flags);
    po::option option(key, *values);
    option.original_tokens = *values;
    parsed.options.push_back(std::move(option));
    try {
      po::store(parsed, vm);
    } catch (const po::error& e) {
      return configError(path, "key \"" + key + "\": " + e.what());
    }
  }
  return {};
}

}  // namespace aviary::cli
