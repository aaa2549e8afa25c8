// aviary: the operator binary. Today it loads the cluster configuration, checks that the API server
// answers, and exits; the controller arrives with issue 5 (see README).
#include <boost/program_options.hpp>
#include <iostream>

#include <spdlog/spdlog.h>

#include "operator/core/logging.h"
#include "operator/kube/http_kube_client.h"

namespace po = boost::program_options;

int main(int argc, char** argv) {
  try {
    std::string kubeconfig, context, ns, logLevel, logFormat;
    po::options_description flags("aviary flags");
    flags.add_options()("help,h", "show this help")("version", "print the version and exit")(
        "kubeconfig", po::value(&kubeconfig)->default_value(""),
        "path to a kubeconfig (default: $KUBECONFIG, in-cluster, ~/.kube/config)")(
        "context", po::value(&context)->default_value(""), "kubeconfig context (default: current-context)")(
        "namespace", po::value(&ns)->default_value(""), "watch only this namespace (default: all)")(
        "log-level", po::value(&logLevel)->default_value("info"), "trace|debug|info|warn|error")(
        "log-format", po::value(&logFormat)->default_value("text"), "text|json");
    po::variables_map vm;
    po::store(po::parse_command_line(argc, argv, flags), vm);
    po::notify(vm);
    if (vm.count("help")) {
      std::cout << flags << "\n";
      return 0;
    }
    if (vm.count("version")) {
      std::cout << "aviary 0.1.0\n";
      return 0;
    }
    if (auto st = aviary::initLogging(logLevel, logFormat); !st) {
      std::cerr << "aviary: " << st.error().message << "\n";
      return 2;
    }
    auto config = aviary::kube::resolveClusterConfig(kubeconfig, context);
    if (!config) {
      spdlog::error("{}", config.error().message);
      return 2;
    }
    auto client = aviary::kube::HttpKubeClient::create(*config);
    if (!client) {
      spdlog::error("{}", client.error().describe());
      return 2;
    }
    auto version = (*client)->getRaw("/version");
    if (!version) {
      spdlog::error("API server {} ({}): {}", config->server, config->source, version.error().describe());
      return 1;
    }
    spdlog::info("connected to {} ({}), Kubernetes {}", config->server, config->source,
                 version->value("gitVersion", "unknown"));
    spdlog::warn("the canary controller is not built yet (issue 5); exiting");
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "aviary: " << e.what() << "\n";
    return 2;
  }
}
