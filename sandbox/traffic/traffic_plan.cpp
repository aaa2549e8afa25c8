#include "sandbox/traffic/traffic_plan.h"

#include <algorithm>

namespace aviary::sandbox::traffic {
namespace {

constexpr int kOk = 200, kServerError = 500, kUnavailable = 503, kNoRoute = 404;

uint64_t seedFor(uint64_t seed, const std::string& key) {
  uint64_t h = seed ^ 0xcbf29ce484222325ull;
  for (unsigned char c : key) h = (h ^ c) * 0x100000001b3ull;
  return h;
}

std::string appLabel(const Workload& w) {
  for (const char* key : {"app", "app.kubernetes.io/name", "name"}) {
    auto it = w.podLabels.find(key);
    if (it != w.podLabels.end()) return it->second;
  }
  return w.name;
}

Series* meshSeries(SeriesRegistry& series, const ServiceInfo& caller, const Destination& d, const Workload& w,
                   const std::string& pod) {
  switch (d.telemetry) {
    case Telemetry::Istio:
      return series.series(Family::Istio,
                           {{"connection_security_policy", "mutual_tls"},
                            {"destination_canonical_service", appLabel(w)},
                            {"destination_service", d.serviceName + "." + d.serviceNs + ".svc.cluster.local"},
                            {"destination_service_name", d.serviceName},
                            {"destination_service_namespace", d.serviceNs},
                            {"destination_workload", w.name},
                            {"destination_workload_namespace", w.ns},
                            {"reporter", "destination"},
                            {"request_protocol", "http"},
                            {"response_flags", "-"},
                            {"source_workload", "sandbox-loadgen"},
                            {"source_workload_namespace", caller.ns}},
                           workloadOwner(w.ns, w.name));
    case Telemetry::Envoy:
      return series.series(
          Family::Envoy,
          {{"envoy_cluster_name", d.label}, {"kubernetes_namespace", w.ns}, {"kubernetes_pod_name", pod}},
          podOwner(w.ns, pod));
    case Telemetry::Traefik:
      return series.series(Family::Traefik, {{"method", "GET"}, {"protocol", "http"}, {"service", d.label}},
                           "");
    case Telemetry::None:
      return nullptr;
  }
  return nullptr;
}

DestinationPlan compileDestination(const ServiceInfo& caller, const Destination& d, SeriesRegistry& series) {
  DestinationPlan plan;
  for (const Workload* w : d.workloads) {
    Series* user =
        series.series(Family::UserOutcome,
                      {{"deployment", w->name}, {"namespace", caller.ns}, {"service", caller.name}}, "");
    for (const auto& pod : w->podNames) {
      PodTarget t;
      t.errorRate = w->errorRate;
      t.latency = w->latency;
      t.mesh = meshSeries(series, caller, d, *w, pod);
      t.app = series.series(
          Family::App,
          {{"kubernetes_namespace", w->ns}, {"kubernetes_pod_name", pod}, {"method", "GET"}, {"path", "/"}},
          podOwner(w->ns, pod));
      t.user = user;
      t.workload = w->name;
      plan.pods.push_back(std::move(t));
    }
  }
  plan.service = d.serviceNs + "/" + d.serviceName;
  plan.noEndpoints = series.series(
      Family::UserOutcome, {{"deployment", "none"}, {"namespace", caller.ns}, {"service", caller.name}}, "");
  return plan;
}

// Serves one request at a random ready pod of `d`. Returns the pod; null when there was none (503).
const PodTarget* serve(ServicePlan& plan, const DestinationPlan& d, bool userRequest) {
  if (d.pods.empty()) {
    if (userRequest) d.noEndpoints->recordOutcome(kUnavailable);
    return nullptr;
  }
  const PodTarget& pod = d.pods[plan.random.below(d.pods.size())];
  int code = plan.random.uniform() < pod.errorRate ? kServerError : kOk;
  std::size_t bin = pod.latency->binFor(plan.random.uniform());
  double ms = pod.latency->binMeanMs(bin);
  if (pod.mesh) pod.mesh->record(code, bin, ms);
  pod.app->record(code, bin, ms);
  if (userRequest) pod.user->recordOutcome(code);
  return &pod;
}

RoutePlan compileRoute(const ServiceInfo& service, const Route& route, SeriesRegistry& series) {
  RoutePlan r;
  r.matches = route.matches;
  double total = 0;
  for (const auto& d : route.destinations) total += std::max(0.0, d.weight);
  double running = 0;
  for (const auto& d : route.destinations) {
    if (total <= 0 || d.weight <= 0) continue;
    running += d.weight / total;
    r.cumulativeWeights.push_back(running);
    r.destinations.push_back(compileDestination(service, d.destination, series));
    r.destinations.back().setCookies = d.setCookies;
  }
  if (route.mirror && route.mirrorPercent > 0) {
    r.mirror = compileDestination(service, *route.mirror, series);
    r.mirrorProbability = std::min(1.0, route.mirrorPercent / 100);
  }
  return r;
}

bool accepts(const RoutePlan& route, const RequestAttributes& request) {
  return route.matches.empty() || std::any_of(route.matches.begin(), route.matches.end(),
                                              [&](const RequestMatch& m) { return m.matches(request); });
}

}  // namespace

std::string podOwner(const std::string& ns, const std::string& pod) {
  return "pod:" + ns + "/" + pod;
}

std::string workloadOwner(const std::string& ns, const std::string& workload) {
  return "workload:" + ns + "/" + workload;
}

ServicePlan compilePlan(const ServiceInfo& service, const RouteTable& routes, SeriesRegistry& series,
                        uint64_t seed) {
  ServicePlan plan;
  plan.ns = service.ns;
  plan.name = service.name;
  plan.source = routes.source;
  plan.rps = service.rps;
  plan.random = FastRandom(seedFor(seed, service.ns + "/" + service.name));
  plan.namespaces = routes.namespaces;
  plan.noRoute =
      series.series(Family::UserOutcome,
                    {{"deployment", "none"}, {"namespace", service.ns}, {"service", service.name}}, "");

  // Request classes: one per configured header, then plain requests with what is left.
  std::vector<std::pair<double, RequestAttributes>> classes;
  double headerTotal = 0;
  for (const auto& h : service.headerMix) headerTotal += h.share;
  double scale = headerTotal > 1 ? 1 / headerTotal : 1;
  for (const auto& h : service.headerMix) {
    RequestAttributes attrs;
    attrs.headers[h.name] = h.value;
    classes.emplace_back(h.share * scale, attrs);
  }
  classes.emplace_back(std::max(0.0, 1 - headerTotal * scale), RequestAttributes{});

  for (const auto& route : routes.routes) plan.routes.push_back(compileRoute(service, route, series));
  plan.clients = service.clients;
  double cumulative = 0;
  for (auto& [share, attrs] : classes) {
    ClassPlan c;
    cumulative += share;
    c.cumulativeShare = cumulative;
    auto route = std::find_if(routes.routes.begin(), routes.routes.end(),
                              [&](const Route& r) { return r.accepts(attrs); });
    if (route != routes.routes.end()) c.route = static_cast<int>(route - routes.routes.begin());
    c.attributes = std::move(attrs);
    plan.classes.push_back(std::move(c));
  }
  if (!plan.classes.empty()) plan.classes.back().cumulativeShare = 1;  // absorb rounding
  return plan;
}

void simulateRequests(ServicePlan& plan, uint64_t requests, ClientContext* clients) {
  if (clients && clients->clients.size() == 0) clients = nullptr;
  for (uint64_t i = 0; i < requests; ++i) {
    double u = plan.random.uniform();
    const ClassPlan* c = &plan.classes.back();
    for (const auto& candidate : plan.classes) {
      if (u < candidate.cumulativeShare) {
        c = &candidate;
        break;
      }
    }
    // A client's request carries its own cookies, so its route is looked up per request.
    SimulatedClient* client = nullptr;
    int routeIndex = c->route;
    if (clients) {
      client = &clients->clients[plan.random.below(clients->clients.size())];
      RequestAttributes request = c->attributes;
      if (std::string cookies = client->cookieHeader(clients->now); !cookies.empty()) {
        std::string& header = request.headers["cookie"];
        header = header.empty() ? cookies : header + "; " + cookies;
      }
      auto route = std::find_if(plan.routes.begin(), plan.routes.end(),
                                [&](const RoutePlan& r) { return accepts(r, request); });
      routeIndex = route == plan.routes.end() ? -1 : static_cast<int>(route - plan.routes.begin());
    }
    if (routeIndex < 0 || plan.routes[routeIndex].destinations.empty()) {
      plan.noRoute->recordOutcome(kNoRoute);
      continue;
    }
    const RoutePlan& route = plan.routes[routeIndex];
    double w = plan.random.uniform();
    std::size_t d = 0;
    while (d + 1 < route.cumulativeWeights.size() && w >= route.cumulativeWeights[d]) ++d;
    const PodTarget* pod = serve(plan, route.destinations[d], true);
    if (client && pod) {
      for (const auto& setCookie : route.destinations[d].setCookies) client->receive(setCookie, clients->now);
      clients->clients.served(*client, pod->workload, clients->series);
    }
    if (route.mirror && plan.random.uniform() < route.mirrorProbability) serve(plan, *route.mirror, false);
  }
}

}  // namespace aviary::sandbox::traffic
