// The HTTP server against our own transport: full responses, keep-alive reuse, chunked streams, TLS.
#include "operator/http/http_server.h"

#include <gtest/gtest.h>

#include <atomic>
#include <set>

#include "operator/kube/http_transport.h"

namespace aviary::http {
namespace {

kube::ClusterConfig configFor(const HttpServer& server) {
  kube::ClusterConfig c;
  c.server = server.baseUrl();
  c.qps = 0;
  c.requestTimeout = std::chrono::seconds(5);
  return c;
}

TEST(HttpServer, ServesRequestsAndReusesConnections) {
  std::mutex m;
  std::set<std::string> peers;
  HttpServer server({}, [&](const Request& r, ResponseWriter& w) {
    {
      std::lock_guard lock(m);
      peers.insert(r.peer);
    }
    w.send(200, "text/plain", r.method + " " + r.path + " q=" + r.param("q") + " body=" + r.body);
  });
  ASSERT_TRUE(server.start().ok());
  auto transport = kube::HttpTransport::create(configFor(server));
  ASSERT_TRUE(transport.ok());
  for (int i = 0; i < 5; ++i) {
    kube::HttpRequest req;
    req.method = "POST";
    req.target = "/a%20b?q=x+y";
    req.body = "n" + std::to_string(i);
    auto res = (*transport)->roundTrip(req);
    ASSERT_TRUE(res.ok()) << res.error().describe();
    EXPECT_EQ(res->status, 200);
    EXPECT_EQ(res->body, "POST /a b q=x y body=n" + std::to_string(i));
  }
  EXPECT_EQ(peers.size(), 1u) << "keep-alive should reuse one connection";
  server.stop();
}

TEST(HttpServer, StreamsChunksAndStopsWithOpenStreams) {
  std::atomic<bool> release{false};
  HttpServer server({}, [&](const Request&, ResponseWriter& w) {
    ASSERT_TRUE(w.startChunked(200, "application/json"));
    w.writeChunk("first\n");
    while (!release) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    w.writeChunk("second\n");
    w.finishChunked();
  });
  ASSERT_TRUE(server.start().ok());
  auto transport = kube::HttpTransport::create(configFor(server));
  kube::HttpRequest req;
  req.target = "/stream";
  auto stream = (*transport)->openStream(req);
  ASSERT_TRUE(stream.ok()) << stream.error().describe();
  std::string got;
  auto more = (*stream)->read(got, std::chrono::seconds(2));
  ASSERT_TRUE(more.ok());
  EXPECT_EQ(got, "first\n");
  // Nothing arrives while the handler waits: the idle deadline fires.
  auto idle = (*stream)->read(got, std::chrono::milliseconds(100));
  ASSERT_FALSE(idle.ok());
  EXPECT_EQ(idle.error().code, ErrorCode::Timeout);
  release = true;
  server.stop();
}

TEST(HttpServer, StreamingHandlerSeesThePeerLeave) {
  std::atomic<bool> sawClose{false};
  HttpServer server({}, [&](const Request&, ResponseWriter& w) {
    w.startChunked(200, "application/json");
    w.writeChunk("hello\n");
    for (int i = 0; i < 300 && !w.peerClosed(); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    sawClose = w.peerClosed();
  });
  ASSERT_TRUE(server.start().ok());
  {
    auto transport = kube::HttpTransport::create(configFor(server));
    kube::HttpRequest req;
    req.target = "/watch";
    auto stream = (*transport)->openStream(req);
    ASSERT_TRUE(stream.ok());
    std::string got;
    ASSERT_TRUE((*stream)->read(got, std::chrono::seconds(2)).ok());
  }  // the client goes away without reading further
  for (int i = 0; i < 200 && !sawClose; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_TRUE(sawClose);
  server.stop();
}

TEST(HttpServer, HandlerExceptionBecomes500) {
  HttpServer server({}, [](const Request&, ResponseWriter&) { throw std::runtime_error("boom"); });
  ASSERT_TRUE(server.start().ok());
  auto transport = kube::HttpTransport::create(configFor(server));
  kube::HttpRequest req;
  req.target = "/";
  auto res = (*transport)->roundTrip(req);
  ASSERT_TRUE(res.ok());
  EXPECT_EQ(res->status, 500);
  EXPECT_NE(res->body.find("boom"), std::string::npos);
}

TEST(HttpServer, ListenErrorIsReported) {
  HttpServer first({}, [](const Request&, ResponseWriter& w) { w.send(200, "text/plain", ""); });
  ASSERT_TRUE(first.start().ok());
  ServerOptions clash;
  clash.port = first.port();
  HttpServer second(clash, [](const Request&, ResponseWriter& w) { w.send(200, "text/plain", ""); });
  auto st = second.start();
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, ErrorCode::Unavailable);
}

}  // namespace
}  // namespace aviary::http
