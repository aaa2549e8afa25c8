#include "sandbox/traffic/traffic_simulator.h"

#include <cmath>

#include <spdlog/spdlog.h>

#include "sandbox/traffic/routing/mesh_routing.h"
#include "sandbox/traffic/store_source.h"

namespace aviary::sandbox::traffic {

TrafficSimulator::TrafficSimulator(const ObjectStore& store, const ResourceRegistry& registry,
                                   TrafficOptions options)
    : ownedSource_(std::make_unique<StoreSource>(store, registry)),
      source_(*ownedSource_),
      options_(options) {}

TrafficSimulator::TrafficSimulator(ClusterSource& source, TrafficOptions options)
    : source_(source), options_(options) {}

TrafficSimulator::~TrafficSimulator() {
  stop();
}

void TrafficSimulator::start() {
  if (!thread_.joinable()) thread_ = std::thread([this] { run(); });
}

void TrafficSimulator::stop() {
  stopping_ = true;
  if (thread_.joinable()) thread_.join();
}

void TrafficSimulator::run() {
  auto last = std::chrono::steady_clock::now();
  while (!stopping_) {
    auto next = last + options_.tick;
    std::this_thread::sleep_until(next);
    auto now = std::chrono::steady_clock::now();
    step(now - last);
    last = now;
  }
}

void TrafficSimulator::syncLocked() {
  std::set<std::string> changed = view_.sync(source_);
  if (changed.empty()) return;
  std::set<std::string> affected;
  for (const auto& ns : changed) {
    for (const ServiceInfo* s : view_.loadedServicesIn(ns)) affected.insert(s->ns + "/" + s->name);
    if (auto d = dependents_.find(ns); d != dependents_.end())
      affected.insert(d->second.begin(), d->second.end());
  }
  for (const auto& key : affected) {
    if (auto old = plans_.find(key); old != plans_.end()) {
      for (const auto& ns : old->second.namespaces) dependents_[ns].erase(key);
      plans_.erase(old);
    }
    auto slash = key.find('/');
    const ServiceInfo* s = view_.service(key.substr(0, slash), key.substr(slash + 1));
    if (!s || s->rps <= 0) {
      clients_.erase(key);
      continue;
    }
    RouteTable routes = resolveRoutes(view_, *s);
    ServicePlan plan = compilePlan(*s, routes, series_, options_.seed);
    for (const auto& ns : plan.namespaces) dependents_[ns].insert(key);
    spdlog::debug("sandbox traffic: {} at {} rps routed by {}", key, s->rps, plan.source);
    // Users get errors from this plan: say why where whoever watches the sandbox looks.
    for (const auto& c : plan.classes) {
      if (c.route < 0 && c.cumulativeShare > 0)
        spdlog::info("sandbox traffic: {} routed by {}: some requests match no route (404)", key,
                     plan.source);
    }
    for (const auto& r : plan.routes) {
      for (const auto& d : r.destinations) {
        if (d.pods.empty())
          spdlog::info("sandbox traffic: {} routed by {}: Service {} has no ready endpoints (503)", key,
                       plan.source, d.service);
      }
    }
    // The clients (and their cookies) outlive the plan: a route change must not log users out.
    auto clients = clients_.find(key);
    if (plan.clients == 0) {
      if (clients != clients_.end()) clients_.erase(clients);
    } else if (clients == clients_.end() || clients->second.size() != plan.clients) {
      clients_.insert_or_assign(key, SessionClients(s->ns, s->name, plan.clients));
    }
    plans_.insert_or_assign(key, std::move(plan));
    ++stats_.plansCompiled;
  }
  // Series of pods and workloads that no longer exist disappear, as their scrape targets would.
  std::set<std::string> owners;
  for (const auto& [ns, byKey] : view_.workloads()) {
    for (const auto& [key, w] : byKey) owners.insert(workloadOwner(ns, w.name));
  }
  for (const auto& [ns, pods] : view_.podsByNamespace()) {
    for (const auto& pod : pods) owners.insert(podOwner(ns, pod));
  }
  series_.collectGarbage(owners);
}

void TrafficSimulator::syncRouting() {
  std::lock_guard lock(mutex_);
  syncLocked();
}

void TrafficSimulator::step(std::chrono::duration<double> elapsed) {
  std::lock_guard lock(mutex_);
  syncLocked();
  double seconds = std::max(0.0, elapsed.count());
  clock_ += seconds;
  for (auto& [key, plan] : plans_) {
    plan.pending += plan.rps * seconds;
    double whole = std::floor(plan.pending);
    plan.pending -= whole;
    auto requests = static_cast<uint64_t>(whole);
    if (auto clients = clients_.find(key); clients != clients_.end()) {
      ClientContext context{clients->second, series_, clock_};
      simulateRequests(plan, requests, &context);
    } else {
      simulateRequests(plan, requests);
    }
    stats_.requests += requests;
  }
}

std::string TrafficSimulator::renderMetrics() const {
  std::string out;
  std::lock_guard lock(mutex_);
  out.reserve(series_.size() * 512);
  series_.render(out);
  return out;
}

TrafficStats TrafficSimulator::stats() const {
  std::lock_guard lock(mutex_);
  TrafficStats s = stats_;
  s.loadedServices = plans_.size();
  s.series = series_.size();
  return s;
}

std::string TrafficSimulator::routingSource(const std::string& ns, const std::string& service) const {
  std::lock_guard lock(mutex_);
  auto it = plans_.find(ns + "/" + service);
  return it == plans_.end() ? std::string() : it->second.source;
}

}  // namespace aviary::sandbox::traffic
