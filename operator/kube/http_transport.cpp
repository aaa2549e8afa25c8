#include "operator/kube/http_transport.h"

#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <deque>
#include <limits>
#include <mutex>
#include <optional>

#include "operator/kube/rate_limiter.h"
#include "operator/kube/request_path.h"

namespace aviary::kube {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace ssl = boost::asio::ssl;
using tcp = asio::ip::tcp;
using SteadyClock = std::chrono::steady_clock;

namespace {

constexpr std::size_t kMaxResponseBytes = 512 * 1024 * 1024;
// Idle pooled connections older than this are dropped rather than reused: servers close idle
// keep-alive connections (Go's default is 90 s) and a request on a half-closed one fails.
constexpr auto kMaxIdle = std::chrono::seconds(30);

struct ServerUrl {
  bool tls = false;
  std::string host;  // without brackets
  std::string port;
  std::string hostHeader;
  std::string pathPrefix;  // "" or "/prefix"
};

Result<ServerUrl> parseServerUrl(const std::string& url) {
  ServerUrl out;
  std::string rest;
  if (url.rfind("https://", 0) == 0) {
    out.tls = true;
    rest = url.substr(8);
  } else if (url.rfind("http://", 0) == 0) {
    rest = url.substr(7);
  } else {
    return makeError(ErrorCode::Config, "server URL must start with http:// or https://: " + url);
  }
  std::size_t slash = rest.find('/');
  std::string authority = rest.substr(0, slash);
  if (slash != std::string::npos) out.pathPrefix = rest.substr(slash);
  while (!out.pathPrefix.empty() && out.pathPrefix.back() == '/') out.pathPrefix.pop_back();
  if (authority.empty()) return makeError(ErrorCode::Config, "server URL has no host: " + url);
  if (authority[0] == '[') {
    std::size_t close = authority.find(']');
    if (close == std::string::npos) return makeError(ErrorCode::Config, "bad IPv6 literal in " + url);
    out.host = authority.substr(1, close - 1);
    if (close + 1 < authority.size() && authority[close + 1] == ':') out.port = authority.substr(close + 2);
  } else {
    std::size_t colon = authority.rfind(':');
    out.host = authority.substr(0, colon);
    if (colon != std::string::npos) out.port = authority.substr(colon + 1);
  }
  if (out.port.empty()) out.port = out.tls ? "443" : "80";
  out.hostHeader = authority;
  return out;
}

bool isIpLiteral(const std::string& host) {
  beast::error_code ec;
  asio::ip::make_address(host, ec);
  return !ec;
}

Error transportError(const beast::error_code& ec, const std::string& what) {
  if (ec == beast::error::timeout) return makeError(ErrorCode::Timeout, what + ": deadline exceeded");
  if (ec == asio::error::operation_aborted) return makeError(ErrorCode::Cancelled, what + ": cancelled");
  return makeError(ErrorCode::Unavailable, what + ": " + ec.message());
}

bool isIdempotent(const std::string& method) {
  return method != "POST" && method != "PATCH";
}

// One TCP (or TLS) connection with its own io_context: async operations run on the calling thread,
// which is what gives every blocking call a real deadline through tcp_stream::expires_after.
struct Connection {
  asio::io_context ioc;
  std::optional<beast::tcp_stream> tcp;
  std::optional<beast::ssl_stream<beast::tcp_stream>> tls;
  beast::flat_buffer buffer;
  SteadyClock::time_point idleSince;
  bool reused = false;

  beast::tcp_stream& lowest() { return tls ? beast::get_lowest_layer(*tls) : *tcp; }

  template <class Fn>
  auto withStream(Fn&& fn) {
    if (tls) return fn(*tls);
    return fn(*tcp);
  }

  // Starts `start(handler)` and runs the io_context until it completes or the deadline fires.
  template <class Start>
  beast::error_code run(std::chrono::milliseconds timeout, Start&& start) {
    beast::error_code result = asio::error::would_block;
    lowest().expires_after(timeout);
    start([&result](beast::error_code ec, auto&&...) { result = ec; });
    ioc.restart();
    ioc.run();
    return result;
  }
};

}  // namespace

struct HttpTransport::Impl {
  ClusterConfig config;
  ServerUrl url;
  std::optional<ssl::context> sslContext;
  TokenBucket limiter;
  std::mutex poolMutex;
  std::deque<std::unique_ptr<Connection>> idle;

  Impl(ClusterConfig c, ServerUrl u)
      : config(std::move(c)), url(std::move(u)), limiter(config.qps, config.burst) {}

  Status initTls() {
    sslContext.emplace(ssl::context::tls_client);
    sslContext->set_options(ssl::context::no_sslv2 | ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                            ssl::context::no_tlsv1_1);
    beast::error_code ec;
    const TlsConfig& tls = config.tls;
    if (tls.insecureSkipVerify && !tls.caPem.empty()) {
      // As client-go: a CA and skip-verify together mean the configuration is not what its author thinks.
      return makeError(ErrorCode::Config,
                       "insecure-skip-tls-verify and a certificate authority are both set; remove one");
    }
    if (tls.caPem.empty()) {
      sslContext->set_default_verify_paths(ec);
    } else {
      sslContext->add_certificate_authority(asio::buffer(tls.caPem), ec);
    }
    if (ec) return makeError(ErrorCode::Config, "certificate authority: " + ec.message());
    if (!tls.clientCertPem.empty()) {
      sslContext->use_certificate_chain(asio::buffer(tls.clientCertPem), ec);
      if (ec) return makeError(ErrorCode::Config, "client certificate: " + ec.message());
      sslContext->use_private_key(asio::buffer(tls.clientKeyPem), ssl::context::pem, ec);
      if (ec) return makeError(ErrorCode::Config, "client key: " + ec.message());
    }
    sslContext->set_verify_mode(tls.insecureSkipVerify ? ssl::verify_none : ssl::verify_peer);
    return {};
  }

  Result<std::unique_ptr<Connection>> connect(std::chrono::milliseconds timeout) {
    auto conn = std::make_unique<Connection>();
    tcp::resolver resolver{conn->ioc};
    beast::error_code ec;
    auto endpoints = resolver.resolve(url.host, url.port, ec);
    if (ec) return transportError(ec, "resolve " + url.host);
    conn->tcp.emplace(conn->ioc);
    if (url.tls) {
      conn->tls.emplace(std::move(*conn->tcp), *sslContext);
      conn->tcp.reset();
    }
    ec = conn->run(timeout, [&](auto handler) {
      conn->lowest().async_connect(endpoints,
                                   [handler](beast::error_code e, const tcp::endpoint&) { handler(e); });
    });
    if (ec) return transportError(ec, "connect " + url.hostHeader);
    conn->lowest().socket().set_option(tcp::no_delay(true), ec);
    if (url.tls) {
      const std::string& name = config.tls.serverName.empty() ? url.host : config.tls.serverName;
      SSL* handle = conn->tls->native_handle();
      X509_VERIFY_PARAM* param = SSL_get0_param(handle);
      // Each setup call returns 1 on success; a failure would silently skip the host check.
      bool hostCheckSet;
      if (isIpLiteral(name)) {
        hostCheckSet = X509_VERIFY_PARAM_set1_ip_asc(param, name.c_str()) == 1;
      } else {
        hostCheckSet = SSL_set_tlsext_host_name(handle, name.c_str()) == 1 &&
                       X509_VERIFY_PARAM_set1_host(param, name.c_str(), 0) == 1;
      }
      if (!hostCheckSet) {
        return makeError(ErrorCode::Config, "TLS: cannot set up the host name check for \"" + name + "\"");
      }
      ec = conn->run(timeout,
                     [&](auto handler) { conn->tls->async_handshake(ssl::stream_base::client, handler); });
      if (ec) return transportError(ec, "TLS handshake with " + url.hostHeader);
    }
    return conn;
  }

  std::unique_ptr<Connection> takeIdle() {
    std::lock_guard lock(poolMutex);
    auto now = SteadyClock::now();
    while (!idle.empty()) {
      auto conn = std::move(idle.back());
      idle.pop_back();
      if (now - conn->idleSince < kMaxIdle) {
        conn->reused = true;
        return conn;
      }
    }
    return nullptr;
  }

  void giveBack(std::unique_ptr<Connection> conn) {
    conn->idleSince = SteadyClock::now();
    std::lock_guard lock(poolMutex);
    if (idle.size() < 64) idle.push_back(std::move(conn));
  }

  Result<bhttp::request<bhttp::string_body>> buildRequest(const HttpRequest& r) {
    bhttp::verb verb = bhttp::string_to_verb(r.method);
    if (verb == bhttp::verb::unknown)
      return makeError(ErrorCode::Internal, "unknown HTTP method " + r.method);
    // Beast writes the target and header values as given: refuse anything that could end the request
    // line or a header early, whatever built it (request_path.h).
    if (auto st = checkRequestTarget(r.target); !st) return st.error();
    if (auto st = checkHeaderValue("Accept", r.accept); !st) return st.error();
    if (auto st = checkHeaderValue("Content-Type", r.contentType); !st) return st.error();
    bhttp::request<bhttp::string_body> req{verb, url.pathPrefix + r.target, 11};
    req.set(bhttp::field::host, url.hostHeader);
    req.set(bhttp::field::user_agent, config.userAgent);
    req.set(bhttp::field::accept, r.accept);
    if (!r.contentType.empty()) req.set(bhttp::field::content_type, r.contentType);
    if (config.token) {
      auto token = config.token->token();
      if (!token) return token.takeError();
      if (auto st = checkHeaderValue("Authorization", *token); !st) return st.error();
      req.set(bhttp::field::authorization, "Bearer " + *token);
    }
    req.keep_alive(true);
    req.body() = r.body;
    req.prepare_payload();
    return req;
  }

  std::chrono::milliseconds timeoutOf(const HttpRequest& r) const {
    return r.timeout.count() > 0 ? r.timeout : config.requestTimeout;
  }

  // Gets a connection (pooled or new) and writes the request on it.
  Result<std::unique_ptr<Connection>> sendOn(const bhttp::request<bhttp::string_body>& req,
                                             std::chrono::milliseconds timeout, bool allowPooled) {
    std::unique_ptr<Connection> conn = allowPooled ? takeIdle() : nullptr;
    if (!conn) {
      auto fresh = connect(timeout);
      if (!fresh) return fresh.takeError();
      conn = std::move(*fresh);
    }
    beast::error_code ec = conn->withStream([&](auto& stream) {
      return conn->run(timeout, [&](auto h) { bhttp::async_write(stream, req, h); });
    });
    if (ec) return transportError(ec, "send to " + url.hostHeader);
    return conn;
  }

  static HttpResponse headOf(const bhttp::response_header<>& h) {
    HttpResponse out;
    out.status = static_cast<int>(h.result_int());
    out.contentType = std::string(h[bhttp::field::content_type]);
    out.retryAfter = std::string(h[bhttp::field::retry_after]);
    out.flowSchemaUid = std::string(h["X-Kubernetes-PF-FlowSchema-UID"]);
    for (auto it = h.find(bhttp::field::warning); it != h.end() && it->name() == bhttp::field::warning;
         ++it) {
      out.warnings.emplace_back(it->value());
    }
    return out;
  }

  Result<HttpResponse> roundTripOnce(const HttpRequest& r, bool allowPooled, bool& retryable) {
    retryable = false;
    auto req = buildRequest(r);
    if (!req) return req.takeError();
    auto timeout = timeoutOf(r);
    auto deadline = SteadyClock::now() + timeout;
    auto conn = sendOn(*req, timeout, allowPooled);
    if (!conn) return conn.takeError();
    Connection& c = **conn;
    bhttp::response_parser<bhttp::string_body> parser;
    parser.body_limit(kMaxResponseBytes);
    if (r.method == "HEAD") parser.skip(true);
    auto remaining = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now());
    if (remaining.count() <= 0) remaining = std::chrono::milliseconds(1);
    beast::error_code ec = c.withStream([&](auto& stream) {
      return c.run(remaining, [&](auto h) { bhttp::async_read(stream, c.buffer, parser, h); });
    });
    if (ec) {
      // A reused connection the server closed while idle: nothing was processed, try a fresh one.
      retryable = c.reused && !parser.got_some() &&
                  (ec == bhttp::error::end_of_stream || ec == asio::error::eof ||
                   ec == asio::error::connection_reset || ec == ssl::error::stream_truncated);
      return transportError(ec, "read from " + url.hostHeader);
    }
    HttpResponse out = headOf(parser.get().base());
    out.body = std::move(parser.get().body());
    if (parser.get().keep_alive()) giveBack(std::move(*conn));
    return out;
  }
};

namespace {

// A streamed response body on a connection the stream owns.
class ConnectionBodyStream final : public BodyStream {
 public:
  ConnectionBodyStream(std::unique_ptr<Connection> conn, HttpResponse head,
                       std::unique_ptr<bhttp::response_parser<bhttp::buffer_body>> parser)
      : conn_(std::move(conn)), head_(std::move(head)), parser_(std::move(parser)) {}

  const HttpResponse& head() const override { return head_; }

  Result<bool> read(std::string& out, std::chrono::milliseconds idleTimeout) override {
    if (cancelled_) return makeError(ErrorCode::Cancelled, "stream cancelled");
    if (done_ || parser_->is_done()) return false;
    char chunk[16 * 1024];
    while (true) {
      parser_->get().body().data = chunk;
      parser_->get().body().size = sizeof chunk;
      beast::error_code ec = conn_->withStream([&](auto& stream) {
        return conn_->run(idleTimeout,
                          [&](auto h) { bhttp::async_read_some(stream, conn_->buffer, *parser_, h); });
      });
      if (ec == bhttp::error::need_buffer) ec = {};
      std::size_t got = sizeof chunk - parser_->get().body().size;
      out.append(chunk, got);
      if (cancelled_) return makeError(ErrorCode::Cancelled, "stream cancelled");
      if (ec) {
        done_ = true;
        // The server closing the connection at a chunk boundary is an ordinary end of a watch.
        if ((ec == bhttp::error::end_of_stream || ec == asio::error::eof ||
             ec == bhttp::error::partial_message) &&
            got > 0) {
          return true;
        }
        return transportError(ec, "stream read");
      }
      if (parser_->is_done()) {
        done_ = true;
        return got > 0;
      }
      if (got > 0) return true;
    }
  }

  void cancel() override {
    if (cancelled_.exchange(true)) return;
    // Runs on the reader's thread inside its next (or current) io_context::run().
    asio::post(conn_->ioc, [conn = conn_.get()] {
      beast::error_code ec;
      conn->lowest().socket().shutdown(tcp::socket::shutdown_both, ec);
      conn->lowest().cancel();
    });
  }

 private:
  std::unique_ptr<Connection> conn_;
  HttpResponse head_;
  std::unique_ptr<bhttp::response_parser<bhttp::buffer_body>> parser_;
  std::atomic<bool> cancelled_{false};
  bool done_ = false;
};

// A finished response presented as a stream (non-2xx answers to a watch).
class BufferedBodyStream final : public BodyStream {
 public:
  explicit BufferedBodyStream(HttpResponse head) : head_(std::move(head)) {}
  const HttpResponse& head() const override { return head_; }
  Result<bool> read(std::string&, std::chrono::milliseconds) override { return false; }
  void cancel() override {}

 private:
  HttpResponse head_;
};

}  // namespace

Result<std::unique_ptr<HttpTransport>> HttpTransport::create(const ClusterConfig& config) {
  auto url = parseServerUrl(config.server);
  if (!url) return url.takeError();
  auto impl = std::make_unique<Impl>(config, *url);
  if (url->tls) {
    if (auto st = impl->initTls(); !st) return st.error();
  }
  return std::unique_ptr<HttpTransport>(new HttpTransport(std::move(impl)));
}

HttpTransport::HttpTransport(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HttpTransport::~HttpTransport() = default;

const ClusterConfig& HttpTransport::config() const {
  return impl_->config;
}

double HttpTransport::throttledSeconds() const {
  return impl_->limiter.throttledSeconds();
}

Result<HttpResponse> HttpTransport::roundTrip(const HttpRequest& request) {
  impl_->limiter.acquire();
  bool retryable = false;
  auto result = impl_->roundTripOnce(request, true, retryable);
  if (!result && retryable && isIdempotent(request.method)) {
    result = impl_->roundTripOnce(request, false, retryable);
  }
  return result;
}

Result<std::unique_ptr<BodyStream>> HttpTransport::openStream(const HttpRequest& request) {
  impl_->limiter.acquire();
  auto req = impl_->buildRequest(request);
  if (!req) return req.takeError();
  auto timeout = impl_->timeoutOf(request);
  // Streams get their own connection: it stays busy for the life of the watch.
  auto conn = impl_->sendOn(*req, timeout, false);
  if (!conn) return conn.takeError();
  Connection& c = **conn;
  auto parser = std::make_unique<bhttp::response_parser<bhttp::buffer_body>>();
  parser->body_limit(std::numeric_limits<std::uint64_t>::max());  // a watch has no size bound
  beast::error_code ec = c.withStream([&](auto& stream) {
    return c.run(timeout, [&](auto h) { bhttp::async_read_header(stream, c.buffer, *parser, h); });
  });
  if (ec) return transportError(ec, "read from " + impl_->url.hostHeader);
  HttpResponse head = Impl::headOf(parser->get().base());
  if (head.status / 100 != 2) {
    // Error answers are small: read them whole so the caller gets the Status body.
    auto stream = std::make_unique<ConnectionBodyStream>(std::move(*conn), head, std::move(parser));
    std::string body;
    while (true) {
      auto more = stream->read(body, timeout);
      if (!more || !*more) break;
    }
    head.body = std::move(body);
    return std::unique_ptr<BodyStream>(std::make_unique<BufferedBodyStream>(std::move(head)));
  }
  return std::unique_ptr<BodyStream>(
      std::make_unique<ConnectionBodyStream>(std::move(*conn), std::move(head), std::move(parser)));
}

}  // namespace aviary::kube
