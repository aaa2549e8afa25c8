// aviary: the operator binary. Loads the cluster configuration, checks that the API server answers, and
// runs the canary controller until SIGINT/SIGTERM.
#include <unistd.h>
#include <boost/program_options.hpp>

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <future>
#include <iostream>
#include <optional>
#include <sstream>
#include <thread>

#include <spdlog/spdlog.h>

#include "analysis/outbound/http_client_threads.h"
#include "mesh-adapters/router.h"
#include "operator/allocator.h"
#include "operator/cli/config_file.h"
#include "operator/controller/canary_controller.h"
#include "operator/controller/controller_metrics.h"
#include "operator/core/egress_policy.h"
#include "operator/core/logging.h"
#include "operator/core/metrics_registry.h"
#include "operator/core/stop_signal.h"
#include "operator/kube/http_kube_client.h"
#include "operator/kube/leader_election.h"
#include "operator/server/operator_server.h"

namespace po = boost::program_options;

constexpr const char* kVersion = "0.1.0";
// The client-side rate limit on a server without API Priority and Fairness, and for Events (issue 15;
// bench/scale, docs/performance.md): steps cost 2 writes
// and a new Canary about 23 requests, so 1,000 Canaries stepping every 10 s need 200 writes/s. At 50
// (client-go's habit) and at 100/250 (Flagger's) their steps came 14–44 s late; at 300/600 they were on
// time. The API server's own protection is API Priority and Fairness, whose 429s the client honours; on a
// server that runs it the controller's requests are not limited unless these flags are set (see below).
constexpr double kDefaultKubeApiQps = 300;
constexpr int kDefaultKubeApiBurst = 600;
// cpprestsdk's task pool (the Prometheus queries, webhooks and alerts), one thread per core of the
// machines we measured on; its default of 40 cost half the operator's CPU at 1,000 Canaries.
constexpr std::size_t kHttpClientThreads = 2;

namespace {

// --kube-api-qps as a number: a finite one, the whole text read (a negative one means no limit, as 0).
std::optional<double> parseQps(const std::string& text) {
  double value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || !std::isfinite(value))
    return std::nullopt;
  return value;
}

// The namespace of the pod the operator runs in, from its ServiceAccount's mount.
std::optional<std::string> podNamespace() {
  std::ifstream file("/var/run/secrets/kubernetes.io/serviceaccount/namespace");
  std::string ns;
  if (file && std::getline(file, ns) && !ns.empty()) return ns;
  return std::nullopt;
}

std::string hostName() {
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) != 0 || name[0] == 0) return "aviary";
  return name;
}

}  // namespace

int main(int argc, char** argv) {
  aviary::configureAllocator();
  try {
    std::string kubeconfig, context, ns, logLevel, logFormat, metricsServer, meshProvider, selectorLabels;
    int workers = 2;
    double routeSettleSeconds = 3;
    double resyncSeconds = 300;
    std::vector<std::string> metricsServerAllow, allowedGateways, allowedHostSuffixes, webhookAllow;
    bool inlineQueries = true, noCrossNamespaceRefs = false;
    std::string slackUrl, slackChannel, slackUser, teamsUrl, eventWebhook, clusterName;
    std::string listenAddress;
    bool leaderElect = true;
    std::string leaseNamespace, leaseIdentity;
    double shutdownSeconds = 25;
    std::string kubeApiQps;
    int kubeApiBurst = 0;
    po::options_description flags("aviary flags");
    flags.add_options()("help,h", "show this help")("version", "print the version and exit")(
        "config", po::value<std::string>()->default_value(""),
        "YAML file of flag values (keys are these flags' names; flags given here override it)")(
        "kubeconfig", po::value(&kubeconfig)->default_value(""),
        "path to a kubeconfig (default: $KUBECONFIG, in-cluster, ~/.kube/config)")(
        "context", po::value(&context)->default_value(""), "kubeconfig context (default: current-context)")(
        "namespace", po::value(&ns)->default_value(""), "watch only this namespace (default: all)")(
        "log-level", po::value(&logLevel)->default_value("info"), "trace|debug|info|warn|error")(
        "log-format", po::value(&logFormat)->default_value("text"), "text|json")(
        "metrics-server", po::value(&metricsServer)->default_value("http://prometheus:9090"),
        "default Prometheus URL (a Canary's spec.metricsServer overrides it)")(
        "mesh-provider", po::value(&meshProvider)->default_value("istio"),
        "default provider: istio, appmesh, traefik, gatewayapi, kubernetes or replicas (a Canary's "
        "spec.provider overrides it)")(
        "selector-labels", po::value(&selectorLabels)->default_value("app,name,app.kubernetes.io/name"),
        "pod labels that identify a workload, tried in order")(
        "leader-elect", po::value(&leaderElect)->default_value(true),
        "only the holder of the Lease aviary-leader reconciles (run several replicas; false: one replica)")(
        "leader-election-namespace", po::value(&leaseNamespace)->default_value(""),
        "namespace of the Lease (default: the pod's namespace, else aviary-system)")(
        "leader-election-identity", po::value(&leaseIdentity)->default_value(""),
        "this replica's name in the Lease (default: the host name, i.e. the pod's name)")(
        "listen-address", po::value(&listenAddress)->default_value(":8080"),
        "HOST:PORT of /metrics, /healthz and /readyz (port 0: any free port, logged)")(
        "workers", po::value(&workers)->default_value(2), "canaries reconciled in parallel")(
        "kube-api-qps", po::value(&kubeApiQps)->default_value("auto"),
        "client-side limit of Kubernetes API requests per second (Flagger's -kube-api-qps; 0: no limit); "
        "auto: none for the controller's requests on a server that runs API Priority and Fairness, 300 "
        "on one that does not, 300 for Events on both; the waits are counted in "
        "aviary_kube_client_throttle_seconds_total")(
        "kube-api-burst", po::value(&kubeApiBurst)->default_value(kDefaultKubeApiBurst),
        "requests allowed at once above --kube-api-qps when it limits (Flagger's -kube-api-burst)")(
        "graceful-shutdown-timeout", po::value(&shutdownSeconds)->default_value(25),
        "seconds a SIGTERM gives in-flight reconciles to finish and Events to be written; past it they are "
        "abandoned and the Lease is left to expire (keep it below the pod's terminationGracePeriodSeconds)")(
        "route-settle-seconds", po::value(&routeSettleSeconds)->default_value(3),
        "on deletion, how long the mesh is given to stop using removed routes before the primary and the "
        "Services they name are deleted")(
        "resync-seconds", po::value(&resyncSeconds)->default_value(300),
        "how often a Canary with nothing in flight is looked at when no event concerns it (a safety net: "
        "its Deployments, configs, Services and routes are watched); never less than its analysis interval")(
        "metrics-server-allow", po::value(&metricsServerAllow)->multitoken()->composing(),
        "hosts a Canary's spec.metricsServer may name besides --metrics-server's: names, *.suffix, IPs, "
        "CIDRs (comma-separated or repeated); loopback, link-local and metadata addresses need an explicit "
        "entry")("allowed-gateways", po::value(&allowedGateways)->multitoken()->composing(),
                 "Istio gateways of other namespaces a Canary may bind to: namespace/name, namespace/* or *")(
        "allowed-host-suffixes", po::value(&allowedHostSuffixes)->multitoken()->composing(),
        "hosts outside a Canary's namespace it may route: example.com (and its subdomains) or *")(
        "webhook-allow", po::value(&webhookAllow)->multitoken()->composing(),
        "hosts a Canary's webhooks may call besides Services of its own namespace (name.ns[.svc…]): "
        "names, *.suffix, IPs, CIDRs (comma-separated or repeated)")(
        "no-cross-namespace-refs", po::bool_switch(&noCrossNamespaceRefs),
        "refuse metrics[].templateRef to MetricTemplates of another namespace")(
        "slack-url", po::value(&slackUrl)->default_value(""),
        "Slack incoming webhook for the alerts of Canaries that list no analysis.alerts")(
        "slack-channel", po::value(&slackChannel)->default_value("general"), "channel for --slack-url")(
        "slack-user", po::value(&slackUser)->default_value("aviary"), "user name for --slack-url")(
        "msteams-url", po::value(&teamsUrl)->default_value(""),
        "Microsoft Teams incoming webhook for the alerts of Canaries that list no analysis.alerts")(
        "event-webhook", po::value(&eventWebhook)->default_value(""),
        "URL every Canary Event is posted to (Flagger's event webhook payload)")(
        "cluster-name", po::value(&clusterName)->default_value(""),
        "cluster name shown in alerts and event webhook payloads")(
        "allow-inline-queries", po::value(&inlineQueries)->default_value(true),
        "accept metrics[].query PromQL in Canaries (turn off on multi-tenant clusters: inline queries read "
        "the shared Prometheus with the operator's access)");
    po::variables_map vm;
    // Flagger's manifests pass Go-style single-dash flags (-mesh-provider=istio): accepted as well.
    po::store(po::command_line_parser(argc, argv)
                  .options(flags)
                  .style(po::command_line_style::default_style | po::command_line_style::allow_long_disguise)
                  .run(),
              vm);
    if (const auto& configPath = vm["config"].as<std::string>(); !configPath.empty()) {
      if (auto st = aviary::cli::storeConfigFile(configPath, flags, vm); !st) {
        std::cerr << "aviary: " << st.error().message << "\n";
        return 2;
      }
    }
    po::notify(vm);
    if (vm.count("help")) {
      std::cout << flags << "\n";
      return 0;
    }
    if (vm.count("version")) {
      std::cout << "aviary " << kVersion << "\n";
      return 0;
    }
    if (auto st = aviary::initLogging(logLevel, logFormat); !st) {
      std::cerr << "aviary: " << st.error().message << "\n";
      return 2;
    }
    // Before any Prometheus, webhook or alert client exists. The continuations only parse an answer and
    // queue a wake-up; two threads keep up with thousands of queries a second where cpprestsdk's 40 spent
    // the operator's CPU waking each other (kHttpClientThreads, docs/performance.md).
    if (auto st = aviary::analysis::setHttpClientThreads(kHttpClientThreads); !st)
      spdlog::warn("{}", st.error().message);
    // A default provider the operator does not have would make every Canary without spec.provider invalid.
    if (const auto routers = aviary::mesh::builtInRouters(); !routers.find(meshProvider)) {
      std::string known;
      for (const auto& p : routers.providers()) known += (known.empty() ? "" : ", ") + p;
      std::cerr << "aviary: --mesh-provider: unknown provider \"" << meshProvider << "\" (known: " << known
                << ")\n";
      return 2;
    }
    const bool autoQps = kubeApiQps == "auto";
    const std::optional<double> qps = autoQps ? kDefaultKubeApiQps : parseQps(kubeApiQps);
    if (!qps) {
      std::cerr << "aviary: --kube-api-qps: \"" << kubeApiQps
                << "\" is neither a number of requests per second nor auto\n";
      return 2;
    }
    auto config = aviary::kube::resolveClusterConfig(kubeconfig, context);
    if (!config) {
      spdlog::error("{}", config.error().message);
      return 2;
    }
    if (config->server.rfind("http://", 0) == 0) {
      spdlog::warn("API server {} is plain HTTP: requests, tokens and Secrets travel unencrypted",
                   config->server);
    }
    if (config->tls.insecureSkipVerify) {
      spdlog::warn("insecure-skip-tls-verify is set for {}: the API server's certificate is not checked",
                   config->server);
    }
    config->qps = *qps;
    config->burst = std::max(1, kubeApiBurst);
    const std::string identity = !leaseIdentity.empty() ? leaseIdentity : hostName();
    // The replica's name in the User-Agent: an API audit log tells the replicas' requests apart.
    if (leaderElect) config->userAgent += " (" + identity + ")";
    auto client = aviary::kube::HttpKubeClient::create(*config);
    if (!client) {
      spdlog::error("{}", client.error().describe());
      return 2;
    }
    auto version = (*client)->serverVersion();
    if (!version) {
      spdlog::error("API server {} ({}): {}", config->server, config->source, version.error().describe());
      return 1;
    }
    spdlog::info("connected to {} ({}), Kubernetes {}", config->server, config->source,
                 version->version.value("gitVersion", "unknown"));
    // Events keep their own bucket at the configured limit whatever the server runs: they cannot flood.
    const aviary::kube::ClusterConfig eventConfig = *config;
    // A server that runs API Priority and Fairness (on by default since Kubernetes 1.20, GA in 1.29)
    // protects itself: it queues requests by priority level and fair share and sheds the excess with 429
    // and Retry-After, which the client honours. SIG API Machinery advises relying on it rather than on a
    // client-side limit (controller-runtime dropped its default limit for that reason, Flux turns it off
    // when the server runs APF), and the operator's requests in flight are bounded by its workers anyway.
    // So there, with --kube-api-qps auto (the default), the controller's requests are not throttled; a
    // server without APF (an older one, the sandbox) gets kDefaultKubeApiQps.
    if (version->priorityAndFairness && autoQps) {
      config->qps = 0;
      client = aviary::kube::HttpKubeClient::create(*config);
      if (!client) {
        spdlog::error("{}", client.error().describe());
        return 2;
      }
      spdlog::info(
          "{} runs API Priority and Fairness: the controller's requests have no client-side limit "
          "(--kube-api-qps: a number sets one)",
          config->server);
    }
    aviary::controller::ControllerOptions options;
    options.ns = ns;
    options.defaultProvider = meshProvider;
    options.metricsServer = metricsServer;
    options.workers = std::max(1, workers);
    options.routeSettleTime =
        std::chrono::milliseconds(static_cast<long>(std::max(0.0, routeSettleSeconds) * 1000));
    options.idleResync = std::chrono::milliseconds(static_cast<long>(std::max(1.0, resyncSeconds) * 1000));
    options.selectorLabels.clear();
    std::stringstream labels(selectorLabels);
    for (std::string l; std::getline(labels, l, ',');) {
      if (!l.empty()) options.selectorLabels.push_back(l);
    }
    auto splitCommas = [](const std::vector<std::string>& values) {
      std::vector<std::string> out;
      for (const auto& v : values) {
        std::stringstream items(v);
        for (std::string item; std::getline(items, item, ',');) {
          if (!item.empty()) out.push_back(item);
        }
      }
      return out;
    };
    options.metricsServerAllow = splitCommas(metricsServerAllow);
    if (auto allow = aviary::EgressAllowList::parse(options.metricsServerAllow); !allow) {
      spdlog::error("--metrics-server-allow: {}", allow.error().message);
      return 2;
    }
    options.webhookAllow = splitCommas(webhookAllow);
    if (auto allow = aviary::EgressAllowList::parse(options.webhookAllow); !allow) {
      spdlog::error("--webhook-allow: {}", allow.error().message);
      return 2;
    }
    options.trafficScope.allowedGateways = splitCommas(allowedGateways);
    options.trafficScope.allowedHostSuffixes = splitCommas(allowedHostSuffixes);
    options.inlineQueries = inlineQueries;
    options.crossNamespaceRefs = !noCrossNamespaceRefs;
    // Operator-wide alert URLs are credentials: never logged. IP literals in loopback or link-local
    // ranges still need --webhook-allow, like any other address.
    if (!slackUrl.empty()) {
      aviary::analysis::AlertTarget slack;
      slack.type = aviary::analysis::AlertProviderType::Slack;
      slack.name = "--slack-url";
      slack.address = slackUrl;
      slack.channel = slackChannel;
      slack.username = slackUser;
      options.defaultAlerts.push_back(std::move(slack));
    }
    if (!teamsUrl.empty()) {
      aviary::analysis::AlertTarget teams;
      teams.type = aviary::analysis::AlertProviderType::MsTeams;
      teams.name = "--msteams-url";
      teams.address = teamsUrl;
      options.defaultAlerts.push_back(std::move(teams));
    }
    options.eventWebhook = eventWebhook;
    options.clusterName = clusterName;
    // Events through a client of their own, with the same QPS and burst but its own bucket (as
    // controller-runtime's recorder): a busy release's Events never delay its steps' writes.
    auto eventClient = aviary::kube::HttpKubeClient::create(eventConfig);
    if (!eventClient) {
      spdlog::error("{}", eventClient.error().describe());
      return 2;
    }
    aviary::metrics::Registry registry;
    aviary::controller::ControllerMetrics metrics(registry, kVersion, options.defaultProvider);
    for (auto* c : {client->get(), eventClient->get()})
      c->setObserver([&metrics](const std::string& verb, int code) { metrics.apiRequest(verb, code); });
    auto& throttled =
        registry.counter("aviary_kube_client_throttle_seconds_total",
                         "Seconds Kubernetes API requests waited for the client-side rate limit "
                         "(--kube-api-qps, --kube-api-burst), by client (controller, events)",
                         {"client"});
    auto& limit = registry.gauge("aviary_kube_client_rate_limit_qps",
                                 "The client-side limit of Kubernetes API requests per second, by client "
                                 "(controller, events); 0: none (--kube-api-qps 0, or the controller's "
                                 "on a server that runs API Priority and Fairness)",
                                 {"client"});
    limit.set({"controller"}, std::max(0.0, config->qps));
    limit.set({"events"}, std::max(0.0, eventConfig.qps));
    registry.onCollect([&throttled, &client, &eventClient] {
      throttled.set({"controller"}, (*client)->transport().throttledSeconds());
      throttled.set({"events"}, (*eventClient)->transport().throttledSeconds());
    });
    aviary::controller::CanaryController controller(**client, options, &metrics, eventClient->get());
    std::unique_ptr<aviary::kube::HttpKubeClient> leaseClient;
    std::shared_ptr<aviary::kube::LeaderElector> elector;
    if (leaderElect) {
      aviary::kube::LeaderElectionOptions lease;
      lease.ns = !leaseNamespace.empty() ? leaseNamespace : podNamespace().value_or("aviary-system");
      lease.identity = identity;
      // A client of its own (as client-go advises): renewals never queue behind the controller's requests
      // or its rate limit.
      auto created = aviary::kube::HttpKubeClient::create(*config);
      if (!created) {
        spdlog::error("{}", created.error().describe());
        return 2;
      }
      leaseClient = std::move(*created);
      elector = std::make_shared<aviary::kube::LeaderElector>(*leaseClient, lease);
      // Fencing on this side: no write unless the Lease is held and was renewed within the renew deadline.
      // A weak reference: the controller (and its client) outlive the elector at exit; writes then refused.
      for (auto* c : {client->get(), eventClient->get()}) {
        c->setWriteGuard([weak = std::weak_ptr(elector)]() -> aviary::Status {
          if (auto e = weak.lock(); e && e->mayWrite()) return {};
          return aviary::Error{aviary::ErrorCode::Unavailable,
                               "not writing: this replica does not hold the Lease"};
        });
      }
    }
    auto address = aviary::server::parseListenAddress(listenAddress);
    if (!address) {
      spdlog::error("--listen-address {}", address.error().message);
      return 2;
    }
    aviary::server::OperatorServer server(*address, registry, [&]() -> std::pair<bool, std::string> {
      // Ready: the leader once its informers synced, or a standby waiting for the Lease.
      const bool standby = elector && !elector->leading();
      if (controller.ready() || standby) return {true, standby ? "ok (standby)" : "ok"};
      return {false, "informers not synced yet"};
    });
    if (auto st = server.start(); !st) {
      spdlog::error("--listen-address {}: {}", listenAddress, st.error().message);
      return 1;
    }
    spdlog::info("metrics and health at {} (/metrics, /healthz, /readyz)", server.url());
    if (elector) {
      elector->run(
          [&controller] {
            if (auto st = controller.start(); !st && st.error().code != aviary::ErrorCode::Cancelled) {
              spdlog::error("{}", st.error().message);
              std::_Exit(1);
            }
          },
          [] {
            // No split brain: a leader that lost the Lease must not write once another may lead. Exiting at
            // once is the only way to be sure no reconcile in flight writes; the Deployment restarts us as
            // a standby.
            spdlog::error("lost the leader-election Lease: exiting");
            std::_Exit(1);
          });
    } else if (auto st = controller.start(); !st) {
      spdlog::error("{}", st.error().message);
      return 1;
    }
    aviary::waitForStopSignal();
    const auto bound = std::chrono::milliseconds(static_cast<long>(std::max(0.0, shutdownSeconds) * 1000));
    spdlog::info("shutting down: in-flight reconciles have {} s to finish", shutdownSeconds);
    std::promise<void> stopped;
    auto stoppedFuture = stopped.get_future();
    std::thread stopping([&] {
      controller.stop();             // lets running reconciles finish, writes the queued Events
      if (elector) elector->stop();  // after the last write: releases the Lease for a standby
      server.stop();
      stopped.set_value();
    });
    if (stoppedFuture.wait_for(bound) == std::future_status::timeout) {
      // A reconcile is stuck (e.g. on an API server that does not answer). The process ends instead; the
      // Lease is not released, because a write of the abandoned reconcile could still be in flight: a
      // standby takes over when the Lease expires.
      spdlog::warn(
          "shutdown took longer than {} s: abandoning in-flight reconciles; the Lease expires on its own",
          shutdownSeconds);
      spdlog::shutdown();
      std::_Exit(0);
    }
    stopping.join();
    spdlog::info("stopped");
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "aviary: " << e.what() << "\n";
    return 2;
  }
}
