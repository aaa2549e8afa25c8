// Sandbox watch throughput (issue 3): object writes per second with 4 collection watchers attached
// (every event must be delivered; delivery latency p50/p99), and fan-out to 100 watchers at a paced
// 1,000 writes/s. Clients and server share the machine's cores, over loopback HTTP.
//   aviary-sandbox-bench [--writes N] [--writers N] [--fanout-seconds S]
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "operator/kube/http_kube_client.h"
#include "sandbox/api/api_server.h"

using namespace aviary;
using Clock = std::chrono::steady_clock;

namespace {

long long nowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch()).count();
}

struct Watcher {
  std::thread thread;
  std::vector<double> latenciesMs;
  std::atomic<long> received{0};
};

kube::ClusterConfig configFor(const sandbox::ApiServer& server) {
  kube::ClusterConfig c;
  c.server = server.url();
  c.qps = 0;
  c.requestTimeout = std::chrono::seconds(30);
  return c;
}

// Starts `count` watchers on configmaps in `ns`, each expecting `expected` ADDED events.
std::vector<std::unique_ptr<Watcher>> startWatchers(const sandbox::ApiServer& server, const std::string& ns,
                                                    int count, long expected) {
  std::vector<std::unique_ptr<Watcher>> watchers;
  std::atomic<int> ready{0};
  for (int i = 0; i < count; ++i) {
    auto w = std::make_unique<Watcher>();
    w->latenciesMs.reserve(static_cast<std::size_t>(expected));
    Watcher* self = w.get();
    w->thread = std::thread([&server, &ready, self, ns, expected] {
      // Raw frames, scanned for the send timestamp: the figure is the sandbox's, not a JSON decoder's.
      auto transport = kube::HttpTransport::create(configFor(server));
      kube::HttpRequest request;
      request.target =
          *kube::resources::kConfigMaps.collectionPath(ns) +
          "?watch=true&timeoutSeconds=600&resourceVersion=" +
          std::to_string(const_cast<sandbox::ApiServer&>(server).store().currentResourceVersion());
      auto stream = (*transport)->openStream(request);
      ++ready;
      if (!stream) return;
      std::string buffer;
      std::size_t scanned = 0;
      static const std::string kMarker = "\"sentAtNs\":\"";
      while (self->received < expected) {
        auto more = (*stream)->read(buffer, std::chrono::seconds(30));
        if (!more || !*more) return;
        long long now = nowNs();
        std::size_t at;
        while ((at = buffer.find(kMarker, scanned)) != std::string::npos) {
          std::size_t close = buffer.find('"', at + kMarker.size());
          if (close == std::string::npos) break;  // the rest of this frame has not arrived yet
          long long sent = std::stoll(buffer.substr(at + kMarker.size(), close - at - kMarker.size()));
          self->latenciesMs.push_back(static_cast<double>(now - sent) / 1e6);
          ++self->received;
          scanned = at + kMarker.size();
        }
        if (scanned > (1 << 20)) {
          buffer.erase(0, scanned);
          scanned = 0;
        }
      }
    });
    watchers.push_back(std::move(w));
  }
  while (ready < count) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));  // let every watch request reach the server
  return watchers;
}

// Writes `total` configmaps from `writers` threads; `perSecond` > 0 paces them. Returns seconds taken.
double write(const sandbox::ApiServer& server, const std::string& ns, long total, int writers,
             double perSecond) {
  std::atomic<long> next{0};
  auto start = Clock::now();
  std::vector<std::thread> threads;
  for (int t = 0; t < writers; ++t) {
    threads.emplace_back([&] {
      auto client = kube::HttpKubeClient::create(configFor(server));
      long i;
      while ((i = next++) < total) {
        if (perSecond > 0) {
          auto due = start + std::chrono::nanoseconds(
                                 static_cast<long long>(static_cast<double>(i) * 1e9 / perSecond));
          std::this_thread::sleep_until(due);
        }
        kube::Json cm = {
            {"apiVersion", "v1"},
            {"kind", "ConfigMap"},
            {"metadata",
             {{"name", "cm-" + std::to_string(i)}, {"annotations", {{"sentAtNs", std::to_string(nowNs())}}}}},
            {"data", {{"k", "v"}}}};
        auto r = (*client)->create(kube::resources::kConfigMaps, ns, cm);
        if (!r) std::fprintf(stderr, "write failed: %s\n", r.error().describe().c_str());
      }
    });
  }
  for (auto& t : threads) t.join();
  return std::chrono::duration<double>(Clock::now() - start).count();
}

void report(const char* name, long writes, double seconds, std::vector<std::unique_ptr<Watcher>>& watchers) {
  std::vector<double> all;
  long minReceived = writes;
  for (auto& w : watchers) {
    w->thread.join();
    minReceived = std::min<long>(minReceived, w->received);
    all.insert(all.end(), w->latenciesMs.begin(), w->latenciesMs.end());
  }
  std::sort(all.begin(), all.end());
  auto pct = [&](double p) {
    return all.empty() ? 0.0 : all[static_cast<std::size_t>(p * static_cast<double>(all.size() - 1))];
  };
  std::printf(
      "%-34s writes=%ld  %.0f writes/s  watchers=%zu  delivered(min)=%ld/%ld  latency p50=%.2f ms p99=%.2f "
      "ms max=%.2f ms\n",
      name, writes, static_cast<double>(writes) / seconds, watchers.size(), minReceived, writes, pct(0.5),
      pct(0.99), all.empty() ? 0.0 : all.back());
}

}  // namespace

int main(int argc, char** argv) {
  long writes = 20000;
  int writers = 2;
  int fanoutSeconds = 5;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--writes")) writes = std::stol(argv[i + 1]);
    if (!std::strcmp(argv[i], "--writers")) writers = std::stoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--fanout-seconds")) fanoutSeconds = std::stoi(argv[i + 1]);
  }
  sandbox::ApiServerOptions options;
  options.historyPerResource = 1'000'000;
  sandbox::ApiServer server(options);
  if (!server.start()) return 1;
  std::printf("machine: %u hardware threads; client and server in one process over loopback HTTP\n",
              std::thread::hardware_concurrency());

  auto four = startWatchers(server, "unpaced", 4, writes);
  double seconds = write(server, "unpaced", writes, writers, 0);
  report("unpaced writes, 4 watchers", writes, seconds, four);

  long fanoutWrites = 1000L * fanoutSeconds;
  auto hundred = startWatchers(server, "fanout", 100, fanoutWrites);
  seconds = write(server, "fanout", fanoutWrites, 2, 1000);
  report("1,000 writes/s, 100 watchers", fanoutWrites, seconds, hundred);
  server.stop();
  return 0;
}
