// kubectl-aviary: watch and steer canaries without editing their spec (kubectl finds a plugin by its
// name on PATH: `kubectl aviary …`). Uses the operator's own client library and kubeconfig handling.
//
//   kubectl aviary list [-A]
//   kubectl aviary get canary NAME [-w]        (or: get NAME)
//   kubectl aviary status NAME [--timeout 10m] exit 0 Succeeded, 1 Failed, 2 timed out, 3 error
//   kubectl aviary promote|abort|retry|pause|resume NAME
//   flags: --kubeconfig PATH, --context NAME, -n/--namespace NS, -o json|yaml
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <boost/program_options.hpp>
#include <condition_variable>
#include <iostream>
#include <mutex>
#include <thread>

#include <spdlog/spdlog.h>

#include "operator/controller/reconciler.h"
#include "operator/core/duration.h"
#include "operator/kube/cluster_config.h"
#include "operator/kube/http_kube_client.h"
#include "operator/plugin/canary_requests.h"
#include "operator/plugin/canary_view.h"
#include "operator/plugin/json_yaml.h"
#include "operator/plugin/live_redraw.h"

namespace po = boost::program_options;
using aviary::kube::Json;
using Clock = std::chrono::system_clock;

namespace {

constexpr int kExitError = 3;

struct Options {
  std::string kubeconfig, context, ns, output;
  bool allNamespaces = false, watch = false;
  std::string timeout = "10m";
  std::string command;
  std::vector<std::string> args;
};

void usage(std::ostream& out) {
  out << "Usage: kubectl aviary COMMAND [NAME] [flags]\n\n"
         "Commands:\n"
         "  list [-A]                     canaries with phase, weight, failed checks and age\n"
         "  get canary NAME [-w]          one screen about a canary; -w redraws it on every change\n"
         "  status NAME [--timeout 10m]   wait for the current release: exit 0 Succeeded, 1 Failed, 2 "
         "timeout\n"
         "  promote NAME                  skip the remaining steps and promote now\n"
         "  abort NAME                    roll back now\n"
         "  retry NAME                    analyse the failed revision again\n"
         "  pause NAME / resume NAME      hold the analysis where it is / go on\n\n"
         "Requests go to the Canary's status (never its spec) and are acted on once by the operator.\n\n"
         "Flags:\n"
         "  --kubeconfig PATH  --context NAME  -n, --namespace NS  -A, --all-namespaces\n"
         "  -o, --output json|yaml  -w, --watch  --timeout DURATION\n";
}

std::optional<Options> parse(int argc, char** argv) {
  Options o;
  po::options_description flags;
  flags.add_options()("help,h", "")("kubeconfig", po::value(&o.kubeconfig))("context", po::value(&o.context))(
      "namespace,n", po::value(&o.ns))("output,o", po::value(&o.output))(
      "all-namespaces,A", po::bool_switch(&o.allNamespaces))("watch,w", po::bool_switch(&o.watch))(
      "timeout", po::value(&o.timeout))("command", po::value(&o.command))("args",
                                                                          po::value(&o.args)->multitoken());
  po::positional_options_description positional;
  positional.add("command", 1).add("args", -1);
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(argc, argv).options(flags).positional(positional).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << "kubectl aviary: " << e.what() << "\n";
    usage(std::cerr);
    return std::nullopt;
  }
  if (vm.count("help") || o.command.empty()) {
    usage(vm.count("help") ? std::cout : std::cerr);
    return std::nullopt;
  }
  if (!o.output.empty() && o.output != "json" && o.output != "yaml") {
    std::cerr << "kubectl aviary: --output must be json or yaml\n";
    return std::nullopt;
  }
  return o;
}

void printObject(const Json& object, const std::string& output) {
  if (output == "yaml") {
    std::cout << aviary::plugin::toYaml(object);
  } else {
    std::cout << object.dump(2) << "\n";
  }
}

int fail(const aviary::Error& e) {
  std::cerr << "kubectl aviary: " << e.message << "\n";
  return kExitError;
}

// Re-runs one watch for as long as the process lives and raises `dirty` on every event.
class Wakeups {
 public:
  void watch(aviary::kube::KubeClient& client, aviary::kube::ResourceType type, std::string ns,
             std::string fieldSelector) {
    threads_.emplace_back([this, &client, type, ns, fieldSelector] {
      for (;;) {
        {
          std::lock_guard lock(mutex_);
          if (stopping_) return;
        }
        aviary::kube::WatchOptions options;
        options.fieldSelector = fieldSelector;
        options.timeoutSeconds = 300;
        auto stream = client.watch(type, ns, options);
        if (!stream) {
          std::unique_lock lock(mutex_);
          cv_.wait_for(lock, std::chrono::seconds(1), [&] { return stopping_; });
          continue;
        }
        {
          std::lock_guard lock(mutex_);
          if (stopping_) return;
          streams_.push_back(stream->get());
        }
        while (auto event = (*stream)->next()) {
          if (!*event) break;
          raise();
        }
        std::lock_guard lock(mutex_);  // unregistered before the stream is destroyed
        streams_.erase(std::find(streams_.begin(), streams_.end(), stream->get()));
      }
    });
  }
  // True when something changed within `timeout`.
  bool wait(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    cv_.wait_for(lock, timeout, [&] { return dirty_; });
    return std::exchange(dirty_, false);
  }
  // Stops and joins the watches: a thread left running past `status` returning used this object and the
  // client after they were destroyed (exit code 139 on the real control plane, where the watch was still
  // being opened when the Canary turned out not to exist).
  ~Wakeups() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
      for (auto* stream : streams_) stream->cancel();
    }
    cv_.notify_all();
    for (auto& t : threads_) t.join();
  }

 private:
  void raise() {
    std::lock_guard lock(mutex_);
    dirty_ = true;
    cv_.notify_all();
  }
  std::mutex mutex_;
  std::condition_variable cv_;
  bool dirty_ = true;
  bool stopping_ = false;
  std::vector<aviary::kube::WatchStream*> streams_;  // open watches, cancelled on destruction
  std::vector<std::thread> threads_;
};

struct Objects {
  Json canary;
  std::optional<Json> target, primary;
  std::vector<Json> events;
};

aviary::Result<Objects> read(aviary::kube::KubeClient& client, const std::string& ns,
                             const std::string& name) {
  namespace resources = aviary::kube::resources;
  Objects o;
  auto canary = client.get(aviary::controller::kCanaries, ns, name);
  if (!canary) return canary.error();
  o.canary = std::move(*canary);
  const std::string target = o.canary.value("/spec/targetRef/name"_json_pointer, std::string());
  if (auto d = client.get(resources::kDeployments, ns, target)) o.target = std::move(*d);
  if (auto d = client.get(resources::kDeployments, ns, target + "-primary")) o.primary = std::move(*d);
  aviary::kube::ListOptions events;
  events.fieldSelector = "involvedObject.kind=Canary,involvedObject.name=" + name;
  if (auto list = client.list(resources::kEvents, ns, events)) {
    for (auto& e : (*list)["items"]) o.events.push_back(std::move(e));
  }
  return o;
}

std::string screen(const Objects& o, bool colour) {
  aviary::plugin::CanaryScreen s;
  s.canary = o.canary;
  s.target = o.target ? &*o.target : nullptr;
  s.primary = o.primary ? &*o.primary : nullptr;
  s.events = o.events;
  s.now = Clock::now();
  s.colour = colour;
  return aviary::plugin::renderCanary(s);
}

std::size_t terminalRows() {
  winsize size{};
  return ioctl(STDOUT_FILENO, TIOCGWINSZ, &size) == 0 ? size.ws_row : 0;
}

int get(aviary::kube::KubeClient& client, const Options& o, const std::string& ns, const std::string& name) {
  const bool terminal = isatty(STDOUT_FILENO) == 1;
  const bool colour = terminal && std::getenv("NO_COLOR") == nullptr;
  if (!o.watch) {
    auto objects = read(client, ns, name);
    if (!objects) return fail(objects.error());
    if (!o.output.empty()) {
      printObject(objects->canary, o.output);
    } else {
      std::cout << screen(*objects, colour);
    }
    return 0;
  }
  // The live view: redrawn on every change the watches report, and each second for the clocks.
  Wakeups wakeups;
  wakeups.watch(client, aviary::controller::kCanaries, ns, "metadata.name=" + name);
  wakeups.watch(client, aviary::kube::resources::kDeployments, ns, "");
  wakeups.watch(client, aviary::kube::resources::kEvents, ns, "involvedObject.name=" + name);
  std::optional<Objects> last;
  std::string shown;
  std::size_t drawnLines = 0;
  for (;;) {
    if (wakeups.wait(std::chrono::seconds(1)) || !last) {
      auto objects = read(client, ns, name);
      if (!objects && objects.error().code == aviary::ErrorCode::NotFound) return fail(objects.error());
      if (objects) last = std::move(*objects);
    }
    if (!last) continue;
    std::string frame = screen(*last, colour);
    if (terminal) {
      std::cout << aviary::plugin::redrawInPlace(drawnLines, frame, terminalRows()) << std::flush;
      drawnLines = aviary::plugin::frameLines(frame);
    } else if (frame != shown) {
      std::cout << frame << "\n" << std::flush;
    }
    shown = std::move(frame);
  }
}

int status(aviary::kube::KubeClient& client, const Options& o, const std::string& ns,
           const std::string& name) {
  auto timeout = aviary::parseDuration(o.timeout);
  if (!timeout) {
    std::cerr << "kubectl aviary: --timeout " << o.timeout << " is not a duration\n";
    return kExitError;
  }
  const auto deadline = std::chrono::steady_clock::now() + *timeout;
  Wakeups wakeups;
  wakeups.watch(client, aviary::controller::kCanaries, ns, "metadata.name=" + name);
  std::string lastLine;
  for (;;) {
    auto objects = read(client, ns, name);
    if (!objects) return fail(objects.error());
    const auto verdict =
        aviary::plugin::rolloutVerdict(objects->canary, objects->target ? &*objects->target : nullptr);
    const std::string phase = objects->canary.value("/status/phase"_json_pointer, std::string("-"));
    const std::string line = "canary " + ns + "/" + name + ": " + phase + ", weight " +
                             std::to_string(objects->canary.value("/status/canaryWeight"_json_pointer, 0));
    if (line != lastLine) std::cout << line << "\n" << std::flush;
    lastLine = line;
    if (verdict == aviary::plugin::Verdict::Succeeded) return 0;
    if (verdict == aviary::plugin::Verdict::Failed) {
      std::cout << objects->canary.value("/status/analysis/message"_json_pointer, std::string()) << "\n";
      return 1;
    }
    const auto left = deadline - std::chrono::steady_clock::now();
    if (left <= std::chrono::steady_clock::duration::zero()) {
      std::cerr << "kubectl aviary: canary " << ns << "/" << name << " still " << phase << " after "
                << o.timeout << "\n";
      return 2;
    }
    wakeups.wait(std::min(std::chrono::duration_cast<std::chrono::milliseconds>(left),
                          std::chrono::milliseconds(5000)));
  }
}

}  // namespace

int main(int argc, char** argv) {
  spdlog::set_level(spdlog::level::warn);
  auto options = parse(argc, argv);
  if (!options) return argc > 1 && std::string(argv[1]) == "--help" ? 0 : kExitError;
  Options& o = *options;
  auto config = aviary::kube::resolveClusterConfig(o.kubeconfig, o.context);
  if (!config) return fail(config.error());
  config->userAgent = "kubectl-aviary/0.1";
  const std::string ns = o.ns.empty() ? config->defaultNamespace : o.ns;
  auto client = aviary::kube::HttpKubeClient::create(*config);
  if (!client) return fail(client.error());
  aviary::kube::KubeClient& kube = **client;

  // `get canary NAME`, `get canaries NAME` and `get NAME` alike.
  std::vector<std::string> args = o.args;
  if (o.command == "get" && !args.empty() &&
      (args[0] == "canary" || args[0] == "canaries" || args[0] == "canary.aviary.io"))
    args.erase(args.begin());
  if (o.command == "list" || (o.command == "get" && args.empty())) {
    auto list = aviary::kube::listAll(kube, aviary::controller::kCanaries, o.allNamespaces ? "" : ns, {});
    if (!list) return fail(list.error());
    if (!o.output.empty()) {
      printObject(*list, o.output);
      return 0;
    }
    std::vector<Json> items((*list)["items"].begin(), (*list)["items"].end());
    if (items.empty()) {
      std::cerr << "No canaries found" << (o.allNamespaces ? "" : " in namespace " + ns) << ".\n";
      return 0;
    }
    std::cout << aviary::plugin::renderList(items, o.allNamespaces, Clock::now());
    return 0;
  }
  if (args.size() != 1) {
    std::cerr << "kubectl aviary " << o.command << ": give one canary name\n";
    usage(std::cerr);
    return kExitError;
  }
  const std::string& name = args[0];
  if (o.command == "get") return get(kube, o, ns, name);
  if (o.command == "status") return status(kube, o, ns, name);
  auto sent = aviary::plugin::sendRequest(kube, ns, name, o.command, Clock::now());
  if (!sent) {
    if (sent.error().code == aviary::ErrorCode::Invalid) usage(std::cerr);
    return fail(sent.error());
  }
  std::cout << sent->message << "\n";
  return 0;
}
