#include "sandbox/prometheus/prometheus_server.h"

#include <unistd.h>

#include <boost/asio.hpp>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

namespace aviary::sandbox {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;

uint16_t pickFreePort() {
  asio::io_context io;
  tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  return acceptor.local_endpoint().port();
}

// GET http://127.0.0.1:port<target> → (status, body); status 0 when nothing answers.
std::pair<int, std::string> get(uint16_t port, const std::string& target) {
  try {
    asio::io_context io;
    tcp::socket socket(io);
    socket.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
    std::string request = "GET " + target + " HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
    asio::write(socket, asio::buffer(request));
    std::string response;
    boost::system::error_code ec;
    asio::read(socket, asio::dynamic_buffer(response), ec);  // until the server closes (HTTP/1.0)
    if (response.rfind("HTTP/1.", 0) != 0 || response.size() < 12) return {0, ""};
    auto bodyAt = response.find("\r\n\r\n");
    return {std::stoi(response.substr(9, 3)), bodyAt == std::string::npos ? "" : response.substr(bodyAt + 4)};
  } catch (const std::exception&) {
    return {0, ""};
  }
}

// Whether every target has been scraped successfully once (up == 1 for each).
bool everyTargetScraped(uint16_t port, std::size_t targets) {
  auto [status, body] = get(port, "/api/v1/query?query=up%3D%3D1");
  if (status != 200) return false;
  auto doc = nlohmann::json::parse(body, nullptr, false);
  if (doc.is_discarded()) return false;
  return doc.value("/data/result"_json_pointer, nlohmann::json::array()).size() >= targets;
}

}  // namespace

std::string findExecutable(const std::string& name) {
  if (name.find('/') != std::string::npos) return access(name.c_str(), X_OK) == 0 ? name : "";
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path ? path : "/usr/bin:/bin");
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    std::string candidate = (dir.empty() ? "." : dir) + "/" + name;
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return "";
}

PrometheusServer::~PrometheusServer() {
  stop();
}

std::string PrometheusServer::logTail() const {
  std::ifstream in(dir_ + "/prometheus.log");
  std::stringstream all;
  all << in.rdbuf();
  std::string text = all.str();
  return text.size() > 1500 ? text.substr(text.size() - 1500) : text;
}

Status PrometheusServer::start() {
  std::string binary = findExecutable(options_.binary);
  if (binary.empty()) {
    return Error{ErrorCode::NotFound, "the Prometheus server binary '" + options_.binary +
                                          "' is not installed (Debian package prometheus): run make deps"};
  }
  options_.binary = binary;
  char pattern[] = "/tmp/aviary-prometheus-XXXXXX";
  if (!mkdtemp(pattern)) return Error{ErrorCode::Internal, "cannot create a temporary directory"};
  dir_ = pattern;
  // The port is picked by binding and releasing it; another process can take it in between, so retry.
  Status last;
  for (int attempt = 0; attempt < 3; ++attempt) {
    last = launchOnce();
    if (last) return last;
    stop();
    dir_ = pattern;
    std::filesystem::create_directories(dir_);
  }
  return last;
}

Status PrometheusServer::launchOnce() {
  port_ = pickFreePort();
  double intervalSeconds = static_cast<double>(options_.scrapeInterval.count()) / 1000;
  {
    std::ofstream config(dir_ + "/prometheus.yml");
    config << "global:\n  scrape_interval: " << intervalSeconds
           << "s\n  evaluation_interval: " << intervalSeconds
           << "s\nscrape_configs:\n- job_name: sandbox\n  honor_labels: true\n  scrape_timeout: "
           << intervalSeconds << "s\n  static_configs:\n  - targets: [";
    for (std::size_t i = 0; i < options_.scrapeTargets.size(); ++i) {
      config << (i ? ", " : "") << "'" << options_.scrapeTargets[i] << "'";
    }
    config << "]\n";
  }
  std::vector<std::string> args = {options_.binary,
                                   "--config.file=" + dir_ + "/prometheus.yml",
                                   "--storage.tsdb.path=" + dir_ + "/data",
                                   "--storage.tsdb.retention.time=1d",
                                   "--web.listen-address=127.0.0.1:" + std::to_string(port_),
                                   "--log.level=warn"};
  process_ = std::make_unique<ChildProcess>(args, dir_ + "/prometheus.log");
  auto deadline = std::chrono::steady_clock::now() + options_.readyTimeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (!process_->running()) {
      return Error{ErrorCode::Unavailable,
                   "prometheus did not start or exited during start-up:\n" + logTail()};
    }
    // Ready is not enough: a fresh Prometheus starts scraping only after its first target discovery
    // (up to 5 s later), and rates over windows reaching back before that would be underestimated.
    if (get(port_, "/-/ready").first == 200 && everyTargetScraped(port_, options_.scrapeTargets.size())) {
      spdlog::info("prometheus ready at {} (pid {}, data in {})", url(), process_->pid(), dir_);
      return {};
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return Error{ErrorCode::Timeout, "prometheus not ready after " +
                                       std::to_string(options_.readyTimeout.count()) + "s:\n" + logTail()};
}

void PrometheusServer::stop() {
  if (process_) process_->terminate();
  process_.reset();
  if (!dir_.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
    dir_.clear();
  }
}

void PrometheusServer::kill() {
  if (process_) process_->kill();
}

}  // namespace aviary::sandbox
