// A small HTTP/1.1 server over plain TCP or TLS: one thread per connection, keep-alive, full and chunked
// (streaming) responses. It serves test API servers, the sandbox and the operator's /metrics endpoint.
// Beast stays inside the .cpp so including this header is cheap.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "operator/core/result.h"
#include "operator/core/self_signed_cert.h"

namespace aviary::http {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

struct Request {
  std::string method;
  std::string target;                             // as sent: path plus query
  std::string path;                               // percent-decoded path
  std::multimap<std::string, std::string> query;  // decoded; '+' is a space
  std::map<std::string, std::string> headers;     // lower-case names
  std::string body;
  std::string peer;  // "127.0.0.1:54321"

  // First value of a query parameter, or `fallback`.
  std::string param(const std::string& name, const std::string& fallback = "") const;
  bool hasParam(const std::string& name) const { return query.count(name) > 0; }
  // A boolean parameter as Go's strconv.ParseBool reads it (1, t, T, TRUE, true, True); false otherwise.
  bool flag(const std::string& name) const;
  std::string header(const std::string& lowerName) const;
};

// How a handler answers. Either one send(), or startChunked() + writeChunk()* + finishChunked().
// Not thread-safe: use it from the handler's thread only.
class ResponseWriter {
 public:
  virtual ~ResponseWriter() = default;
  virtual void send(int status, std::string_view contentType, std::string body,
                    const HeaderList& extra = {}) = 0;
  // Sends the status line and headers with Transfer-Encoding: chunked. False when the peer is gone.
  virtual bool startChunked(int status, std::string_view contentType, const HeaderList& extra = {}) = 0;
  // One chunk, flushed at once. False when the peer is gone.
  virtual bool writeChunk(std::string_view data) = 0;
  virtual void finishChunked() = 0;
  // Drops the TCP connection without ending the response (fault injection: a dropped watch).
  virtual void abortConnection() = 0;
  virtual bool responded() const = 0;
  // True once the client has closed its side (a long watch with nothing to send checks this).
  virtual bool peerClosed() const = 0;
};

using Handler = std::function<void(const Request&, ResponseWriter&)>;

struct ServerOptions {
  std::string bindAddress = "127.0.0.1";
  uint16_t port = 0;              // 0 = any free port
  std::optional<PemKeyPair> tls;  // serve HTTPS with this certificate
};

class HttpServer {
 public:
  HttpServer(ServerOptions options, Handler handler);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds and starts accepting on a background thread.
  Status start();
  // The bound port (valid after start()).
  uint16_t port() const;
  // "http://127.0.0.1:PORT" or "https://…".
  std::string baseUrl() const;
  // Closes the listener and every open connection, then joins all threads. Idempotent.
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace aviary::http
