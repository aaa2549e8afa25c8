// TLS with a certificate generated at test time: verification on by default, bearer tokens, client certs.
#include <gtest/gtest.h>

#include "operator/kube/http_kube_client.h"
#include "tests/support/fake_api_server.h"

namespace aviary::kube {
namespace {

using testing::FakeApiServer;

FakeApiServer::Options tlsWithToken() {
  FakeApiServer::Options o;
  o.tls = true;
  o.requiredToken = "s3cret";
  return o;
}

TEST(TlsTransport, VerifiesTheServerAndSendsTheToken) {
  FakeApiServer server(tlsWithToken());
  ASSERT_EQ(server.url().rfind("https://127.0.0.1:", 0), 0u);
  auto client = HttpKubeClient::create(server.clusterConfig());
  ASSERT_TRUE(client.ok()) << client.error().describe();
  auto version = (*client)->getRaw("/version");
  ASSERT_TRUE(version.ok()) << version.error().describe();
  EXPECT_EQ(server.requests().back().authorization, "Bearer s3cret");
}

TEST(TlsTransport, MissingTokenIsUnauthorized) {
  FakeApiServer server(tlsWithToken());
  auto config = server.clusterConfig();
  config.token.reset();
  auto client = HttpKubeClient::create(config);
  auto r = (*client)->getRaw("/version");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::Unauthorized);
}

TEST(TlsTransport, UnknownCertificateAuthorityIsRejected) {
  FakeApiServer server(tlsWithToken());
  auto other = generateSelfSignedCert("someone-else", {"127.0.0.1"});
  auto config = server.clusterConfig();
  config.tls.caPem = other->certificatePem;
  auto client = HttpKubeClient::create(config);
  auto r = (*client)->getRaw("/version");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::Unavailable);
  EXPECT_NE(r.error().message.find("TLS handshake"), std::string::npos) << r.error().message;
  // A CA together with insecure-skip-tls-verify is a configuration error, as in client-go.
  config.tls.insecureSkipVerify = true;
  auto both = HttpKubeClient::create(config);
  ASSERT_FALSE(both);
  EXPECT_EQ(both.error().code, ErrorCode::Config);
  EXPECT_NE(both.error().message.find("insecure-skip-tls-verify and a certificate authority"),
            std::string::npos);
  // insecure-skip-tls-verify alone accepts it (as kubectl does).
  config.tls.caPem.clear();
  auto insecure = HttpKubeClient::create(config);
  ASSERT_TRUE(insecure) << insecure.error().message;
  EXPECT_TRUE((*insecure)->getRaw("/version").ok());
}

TEST(TlsTransport, HostnameIsVerified) {
  FakeApiServer server(tlsWithToken());
  auto config = server.clusterConfig();
  // The certificate names 127.0.0.1 and localhost only.
  config.tls.serverName = "api.example.com";
  auto client = HttpKubeClient::create(config);
  auto r = (*client)->getRaw("/version");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::Unavailable);
  config.tls.serverName = "localhost";
  auto named = HttpKubeClient::create(config);
  EXPECT_TRUE((*named)->getRaw("/version").ok());
}

TEST(TlsTransport, PlainHttpToATlsServerFails) {
  FakeApiServer server(tlsWithToken());
  auto config = server.clusterConfig();
  config.server = "http://" + server.url().substr(8);
  config.requestTimeout = std::chrono::seconds(2);
  auto client = HttpKubeClient::create(config);
  EXPECT_FALSE((*client)->getRaw("/version").ok());
}

TEST(TlsTransport, BadClientKeyIsAConfigError) {
  ClusterConfig config;
  config.server = "https://127.0.0.1:1";
  config.tls.clientCertPem = "not a certificate";
  config.tls.clientKeyPem = "not a key";
  auto client = HttpKubeClient::create(config);
  ASSERT_FALSE(client.ok());
  EXPECT_EQ(client.error().code, ErrorCode::Config);
}

}  // namespace
}  // namespace aviary::kube
