// aviary-sandbox: an embedded Kubernetes API server for the demo and the tests.
//   aviary-sandbox --listen 127.0.0.1:0 --kubeconfig-out PATH [--tls] [--apply FILE_OR_DIR]...
//                  [--metrics-listen ADDR:PORT] [--prometheus] [--seed N]
// or only its traffic simulator, as a client of another API server (a real control plane):
//   aviary-sandbox --traffic-only --kubeconfig PATH [--metrics-listen ADDR:PORT] [--prometheus] [--seed N]
#include <boost/asio/ip/address.hpp>
#include <boost/program_options.hpp>
#include <fstream>
#include <iostream>

#include <spdlog/spdlog.h>

#include "operator/core/logging.h"
#include "operator/core/private_file.h"
#include "operator/core/stop_signal.h"
#include "sandbox/sandbox.h"
#include "sandbox/traffic/remote/remote_traffic.h"
#include "sandbox/yaml_json.h"

namespace po = boost::program_options;

namespace {

// --traffic-only: live traffic and its metrics for the cluster `kubeconfig` points at.
int runTrafficOnly(const std::string& kubeconfig, const std::string& metricsListen, bool prometheus,
                   uint64_t seed) {
  aviary::sandbox::traffic::RemoteTrafficOptions options;
  options.traffic.seed = seed;
  if (!metricsListen.empty()) options.metricsListen = metricsListen;
  aviary::sandbox::traffic::RemoteTraffic traffic(options);
  if (auto st = traffic.start(kubeconfig); !st) {
    std::cerr << "aviary-sandbox: " << st.error().describe() << "\n";
    return 1;
  }
  std::cout << "metrics at " << traffic.metricsUrl() << std::endl;
  std::unique_ptr<aviary::sandbox::PrometheusServer> server;
  if (prometheus) {
    server = std::make_unique<aviary::sandbox::PrometheusServer>(
        aviary::sandbox::PrometheusOptions{.scrapeTargets = {traffic.metricsTarget()}});
    if (auto st = server->start(); !st) {
      std::cerr << "aviary-sandbox: " << st.error().describe() << "\n";
      return 1;
    }
    std::cout << "prometheus listening on " << server->url() << std::endl;
  }
  aviary::waitForStopSignal();
  if (server) server->stop();
  traffic.stop();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    std::string listen, kubeconfigOut, kubeconfig, logLevel, metricsListen;
    uint64_t seed = 1;
    std::vector<std::string> manifests;
    po::options_description flags("aviary-sandbox flags");
    flags.add_options()("help,h", "show this help")(
        "listen", po::value(&listen)->default_value("127.0.0.1:0"), "address:port (port 0 = any free port)")(
        "kubeconfig-out", po::value(&kubeconfigOut)->default_value(""),
        "write a kubeconfig for this server here")(
        "tls", po::bool_switch(), "serve HTTPS with a generated certificate and require a bearer token")(
        "apply", po::value(&manifests)->composing(),
        "YAML manifest file or folder to apply at start (repeatable)")(
        "log-level", po::value(&logLevel)->default_value("info"), "trace|debug|info|warn|error")(
        "metrics-listen", po::value(&metricsListen)->default_value(""),
        "also serve the simulated cluster's /metrics over plain HTTP here (address:port)")(
        "prometheus", po::bool_switch(), "start a real Prometheus server scraping /metrics every second")(
        "seed", po::value(&seed)->default_value(1), "seed of the traffic simulation")(
        "traffic-only", po::bool_switch(),
        "no API server: simulate the traffic of the cluster --kubeconfig points at (metrics on "
        "--metrics-listen, default 127.0.0.1:0)")("kubeconfig", po::value(&kubeconfig)->default_value(""),
                                                  "with --traffic-only: the cluster to follow");
    po::variables_map vm;
    po::store(po::parse_command_line(argc, argv, flags), vm);
    po::notify(vm);
    if (vm.count("help")) {
      std::cout << flags << "\n";
      return 0;
    }
    if (auto st = aviary::initLogging(logLevel, "text"); !st) {
      std::cerr << "aviary-sandbox: " << st.error().message << "\n";
      return 2;
    }
    if (vm["traffic-only"].as<bool>()) {
      if (kubeconfig.empty() || !manifests.empty() || !kubeconfigOut.empty() || vm["tls"].as<bool>()) {
        std::cerr << "aviary-sandbox: --traffic-only needs --kubeconfig and takes none of --apply, "
                     "--kubeconfig-out, --tls\n";
        return 2;
      }
      return runTrafficOnly(kubeconfig, metricsListen, vm["prometheus"].as<bool>(), seed);
    }
    if (!kubeconfig.empty()) {
      std::cerr << "aviary-sandbox: --kubeconfig is for --traffic-only (the sandbox writes one: "
                   "--kubeconfig-out)\n";
      return 2;
    }
    aviary::sandbox::SandboxOptions sandboxOptions;
    auto& options = sandboxOptions.api;
    auto colon = listen.rfind(':');
    if (colon == std::string::npos) {
      std::cerr << "aviary-sandbox: --listen must be address:port\n";
      return 2;
    }
    options.bindAddress = listen.substr(0, colon);
    options.port = static_cast<uint16_t>(std::stoi(listen.substr(colon + 1)));
    options.tls = vm["tls"].as<bool>();
    if (!options.tls) {
      // Without --tls anyone who reaches the port is cluster-admin: keep it on this machine.
      boost::system::error_code ec;
      auto address = boost::asio::ip::make_address(options.bindAddress, ec);
      bool loopback = options.bindAddress == "localhost" || (!ec && address.is_loopback());
      if (!loopback) {
        std::cerr << "aviary-sandbox: without --tls the API is unauthenticated; it listens on loopback only "
                     "(got "
                  << options.bindAddress << "); use --tls to listen elsewhere\n";
        return 2;
      }
      spdlog::warn("no --tls: the API at {} is unauthenticated (anyone on this machine may use it)",
                   options.bindAddress);
    }
    sandboxOptions.metricsListen = metricsListen;
    sandboxOptions.prometheus = vm["prometheus"].as<bool>();
    sandboxOptions.traffic.seed = seed;
    aviary::sandbox::Sandbox sandbox(sandboxOptions);
    auto& server = sandbox.api();
    if (auto st = sandbox.start(); !st) {
      std::cerr << "aviary-sandbox: " << st.error().describe() << "\n";
      return 1;
    }
    for (const auto& path : manifests) {
      auto docs = aviary::sandbox::loadManifests(path);
      if (!docs) {
        std::cerr << "aviary-sandbox: " << docs.error().message << "\n";
        return 1;
      }
      for (const auto& doc : *docs) {
        auto applied = server.apply(doc);
        if (!applied) {
          std::cerr << "aviary-sandbox: " << path << ": " << doc.value("kind", "?") << " "
                    << doc.value("/metadata/name"_json_pointer, std::string("?")) << ": "
                    << applied.error().message << "\n";
          return 1;
        }
      }
    }
    if (!kubeconfigOut.empty()) {
      // It carries the bearer token under --tls: owner-only, never through a planted symbolic link.
      if (auto st = aviary::writePrivateFile(kubeconfigOut, server.kubeconfig()); !st) {
        std::cerr << "aviary-sandbox: " << st.error().message << "\n";
        return 1;
      }
    }
    std::cout << "aviary-sandbox listening on " << server.url() << std::endl;
    if (std::string target = sandbox.metricsTarget(); !target.empty()) {
      std::cout << "metrics at http://" << target << "/metrics" << std::endl;
    }
    if (sandbox.prometheus()) std::cout << "prometheus listening on " << sandbox.prometheusUrl() << std::endl;
    aviary::waitForStopSignal();
    sandbox.stop();
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "aviary-sandbox: " << e.what() << "\n";
    return 2;
  }
}
