#include "operator/http/http_server.h"

#include <poll.h>
#include <sys/socket.h>

#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <condition_variable>
#include <mutex>
#include <set>
#include <thread>

#include <spdlog/spdlog.h>

#include "operator/core/url.h"

namespace aviary::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;

std::string Request::param(const std::string& name, const std::string& fallback) const {
  auto it = query.find(name);
  return it == query.end() ? fallback : it->second;
}

bool Request::flag(const std::string& name) const {
  std::string v = param(name);
  return v == "1" || v == "t" || v == "T" || v == "TRUE" || v == "true" || v == "True";
}

std::string Request::header(const std::string& lowerName) const {
  auto it = headers.find(lowerName);
  return it == headers.end() ? std::string{} : it->second;
}

namespace {

constexpr std::size_t kMaxBodyBytes = 64 * 1024 * 1024;

// Writes responses on one connection; Stream is a TCP socket or a TLS stream over one.
template <class Stream>
class ConnectionWriter final : public ResponseWriter {
 public:
  ConnectionWriter(Stream& stream, tcp::socket& socket, bool keepAlive, unsigned version)
      : stream_(stream), socket_(socket), keepAlive_(keepAlive), version_(version) {}

  void send(int status, std::string_view contentType, std::string body,
            const HeaderList& extra = {}) override {
    if (responded_) return;
    responded_ = true;
    bhttp::response<bhttp::string_body> res{static_cast<bhttp::status>(status), version_};
    res.set(bhttp::field::content_type, contentType);
    for (const auto& [k, v] : extra) res.insert(k, v);
    res.keep_alive(keepAlive_);
    res.body() = std::move(body);
    res.prepare_payload();
    beast::error_code ec;
    bhttp::write(stream_, res, ec);
    if (ec) healthy_ = false;
  }

  bool startChunked(int status, std::string_view contentType, const HeaderList& extra = {}) override {
    if (responded_) return false;
    responded_ = true;
    chunked_ = true;
    bhttp::response<bhttp::empty_body> res{static_cast<bhttp::status>(status), version_};
    res.set(bhttp::field::content_type, contentType);
    for (const auto& [k, v] : extra) res.insert(k, v);
    res.keep_alive(keepAlive_);
    res.chunked(true);
    bhttp::response_serializer<bhttp::empty_body> serializer{res};
    beast::error_code ec;
    bhttp::write_header(stream_, serializer, ec);
    if (ec) healthy_ = false;
    return healthy_;
  }

  bool writeChunk(std::string_view data) override {
    if (!chunked_ || !healthy_ || data.empty()) return healthy_;
    beast::error_code ec;
    asio::write(stream_, bhttp::make_chunk(asio::buffer(data.data(), data.size())), ec);
    if (ec) healthy_ = false;
    return healthy_;
  }

  void finishChunked() override {
    if (!chunked_ || !healthy_ || finished_) return;
    finished_ = true;
    beast::error_code ec;
    asio::write(stream_, bhttp::make_chunk_last(), ec);
    if (ec) healthy_ = false;
  }

  void abortConnection() override {
    healthy_ = false;
    aborted_ = true;
    beast::error_code ec;
    socket_.shutdown(tcp::socket::shutdown_both, ec);
  }

  bool responded() const override { return responded_; }
  bool peerClosed() const override {
    if (!healthy_) return true;
    pollfd p{socket_.native_handle(), POLLIN | POLLRDHUP, 0};
    if (::poll(&p, 1, 0) <= 0) return false;
    return (p.revents & (POLLRDHUP | POLLHUP | POLLERR)) != 0;
  }
  // The connection can serve another request.
  bool reusable() const { return healthy_ && !aborted_ && keepAlive_ && (!chunked_ || finished_); }

 private:
  Stream& stream_;
  tcp::socket& socket_;
  bool keepAlive_;
  unsigned version_;
  bool responded_ = false;
  bool chunked_ = false;
  bool finished_ = false;
  bool healthy_ = true;
  bool aborted_ = false;
};

Request toRequest(const bhttp::request<bhttp::string_body>& msg, const std::string& peer) {
  Request req;
  req.method = std::string(msg.method_string());
  req.target = std::string(msg.target());
  std::string_view target = msg.target();
  std::size_t q = target.find('?');
  req.path = percentDecode(target.substr(0, q), false);
  if (q != std::string_view::npos) req.query = parseQuery(target.substr(q + 1));
  for (const auto& field : msg) {
    std::string name(field.name_string());
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    req.headers[name] = std::string(field.value());
  }
  req.body = msg.body();
  req.peer = peer;
  return req;
}

}  // namespace

struct HttpServer::Impl {
  ServerOptions options;
  Handler handler;
  asio::io_context ioc;
  tcp::acceptor acceptor{ioc};
  std::optional<asio::ssl::context> sslContext;
  std::thread acceptThread;
  std::atomic<bool> stopping{false};
  bool started = false;
  uint16_t boundPort = 0;

  std::mutex mutex;
  std::condition_variable allClosed;
  std::set<int> openSockets;  // native handles, shut down on stop()
  std::size_t liveConnections = 0;

  Impl(ServerOptions o, Handler h) : options(std::move(o)), handler(std::move(h)) {}

  void acceptLoop() {
    while (!stopping) {
      beast::error_code ec;
      tcp::socket socket{ioc};
      acceptor.accept(socket, ec);
      if (ec) {
        if (stopping) return;
        spdlog::debug("http server: accept failed: {}", ec.message());
        continue;
      }
      std::lock_guard lock(mutex);
      if (stopping) return;
      openSockets.insert(socket.native_handle());
      ++liveConnections;
      std::thread([this, s = std::move(socket)]() mutable { serveConnection(std::move(s)); }).detach();
    }
  }

  void serveConnection(tcp::socket socket) {
    const int fd = socket.native_handle();
    beast::error_code ec;
    auto remote = socket.remote_endpoint(ec);
    std::string peer = ec ? "unknown" : remote.address().to_string() + ":" + std::to_string(remote.port());
    socket.set_option(tcp::no_delay(true), ec);
    if (sslContext) {
      beast::ssl_stream<tcp::socket&> tls{socket, *sslContext};
      tls.handshake(asio::ssl::stream_base::server, ec);
      if (!ec) serveRequests(tls, socket, peer);
    } else {
      serveRequests(socket, socket, peer);
    }
    socket.shutdown(tcp::socket::shutdown_both, ec);
    std::lock_guard lock(mutex);
    openSockets.erase(fd);
    socket.close(ec);
    if (--liveConnections == 0) allClosed.notify_all();
  }

  template <class Stream>
  void serveRequests(Stream& stream, tcp::socket& socket, const std::string& peer) {
    beast::flat_buffer buffer;
    while (!stopping) {
      bhttp::request_parser<bhttp::string_body> parser;
      parser.body_limit(kMaxBodyBytes);
      beast::error_code ec;
      bhttp::read(stream, buffer, parser, ec);
      if (ec) return;
      const auto& msg = parser.get();
      ConnectionWriter<Stream> writer(stream, socket, msg.keep_alive(), msg.version());
      try {
        handler(toRequest(msg, peer), writer);
      } catch (const std::exception& e) {
        spdlog::error("http server: handler threw: {}", e.what());
        if (!writer.responded()) writer.send(500, "text/plain", std::string("internal error: ") + e.what());
      }
      if (!writer.responded()) writer.send(500, "text/plain", "handler sent no response");
      if (!writer.reusable()) return;
    }
  }
};

HttpServer::HttpServer(ServerOptions options, Handler handler)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(handler))) {}

HttpServer::~HttpServer() {
  stop();
}

Status HttpServer::start() {
  auto& s = *impl_;
  if (s.started) return makeError(ErrorCode::Internal, "http server already started");
  beast::error_code ec;
  auto address = asio::ip::make_address(s.options.bindAddress, ec);
  if (ec) return makeError(ErrorCode::Config, "bad listen address " + s.options.bindAddress);
  tcp::endpoint endpoint{address, s.options.port};
  s.acceptor.open(endpoint.protocol(), ec);
  if (!ec) s.acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) s.acceptor.bind(endpoint, ec);
  if (!ec) s.acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return makeError(ErrorCode::Unavailable, "cannot listen on " + s.options.bindAddress + ":" +
                                                 std::to_string(s.options.port) + ": " + ec.message());
  }
  if (s.options.tls) {
    s.sslContext.emplace(asio::ssl::context::tls_server);
    s.sslContext->set_options(asio::ssl::context::no_sslv2 | asio::ssl::context::no_sslv3 |
                              asio::ssl::context::no_tlsv1 | asio::ssl::context::no_tlsv1_1);
    const auto& pem = *s.options.tls;
    s.sslContext->use_certificate_chain(asio::buffer(pem.certificatePem), ec);
    if (!ec) s.sslContext->use_private_key(asio::buffer(pem.privateKeyPem), asio::ssl::context::pem, ec);
    if (ec) return makeError(ErrorCode::Config, "bad TLS certificate or key: " + ec.message());
  }
  s.boundPort = s.acceptor.local_endpoint().port();
  s.started = true;
  s.acceptThread = std::thread([&s] { s.acceptLoop(); });
  return {};
}

uint16_t HttpServer::port() const {
  return impl_->boundPort;
}

std::string HttpServer::baseUrl() const {
  std::string host = impl_->options.bindAddress;
  if (host.find(':') != std::string::npos) host = "[" + host + "]";
  return std::string(impl_->options.tls ? "https://" : "http://") + host + ":" + std::to_string(port());
}

void HttpServer::stop() {
  auto& s = *impl_;
  if (!s.started || s.stopping.exchange(true)) return;
  beast::error_code ec;
  // shutdown() on the listening socket wakes the blocking accept(); close() alone does not on Linux.
  ::shutdown(s.acceptor.native_handle(), SHUT_RDWR);
  if (s.acceptThread.joinable()) s.acceptThread.join();
  s.acceptor.close(ec);
  std::unique_lock lock(s.mutex);
  for (int fd : s.openSockets) ::shutdown(fd, SHUT_RDWR);
  s.allClosed.wait(lock, [&s] { return s.liveConnections == 0; });
}

}  // namespace aviary::http
