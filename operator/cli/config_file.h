// The operator's --config file: a YAML mapping whose keys are the long flag names of `aviary --help`
// (without the dashes) and whose values are what the flag would take, e.g.
//
//   metrics-server: http://prometheus.monitoring:9090
//   workers: 4
//   leader-elect: true
//   webhook-allow: [hooks.example.com, 10.0.0.0/8]
//
// Flags given on the command line override the file key by key (a list flag given on the command line
// replaces the file's list; the two are not merged). The file is read once, at start-up.
#pragma once

#include <string>

#include <boost/program_options/options_description.hpp>
#include <boost/program_options/variables_map.hpp>

#include "operator/core/result.h"

namespace aviary::cli {

// Stores the keys of the YAML file at `path` into `vm` as if they were flags of `flags`, except those
// already set on the command line (stored in `vm` before, not defaulted). Call po::notify afterwards.
//
// Errors (ErrorCode::Config), each naming the file and, where there is one, the key:
// - the file cannot be read, is not YAML (line and column given) or is not a mapping;
// - a key is not a flag of `flags`, or is one that only makes sense on a command line (help, version,
//   config);
// - a value is null, a mapping, a list for a flag that takes one value, or one the flag refuses
//   (e.g. "workers: many").
Result<void> storeConfigFile(const std::string& path,
                             const boost::program_options::options_description& flags,
                             boost::program_options::variables_map& vm);

}  // namespace aviary::cli
