// base64, URL encoding, RFC 3339 times, and the self-signed certificate generator.
#include <gtest/gtest.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "operator/core/base64.h"
#include "operator/core/clock.h"
#include "operator/core/self_signed_cert.h"
#include "operator/core/time_format.h"
#include "operator/core/url.h"

namespace aviary {
namespace {

TEST(Base64, RoundTripsAllLengths) {
  std::string bytes;
  for (int i = 0; i < 300; ++i) {
    bytes.push_back(static_cast<char>(i * 7));
    auto decoded = base64Decode(base64Encode(bytes));
    ASSERT_TRUE(decoded.has_value());
    EXPECT_EQ(*decoded, bytes);
  }
}

TEST(Base64, KnownVectorsAndErrors) {
  EXPECT_EQ(base64Encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(base64Encode("fo"), "Zm8=");
  EXPECT_EQ(*base64Decode("Zm9v\nYmE="), "fooba");
  EXPECT_FALSE(base64Decode("Zm9v!").has_value());
  EXPECT_FALSE(base64Decode("Zm=9").has_value());
  EXPECT_FALSE(base64Decode("Z").has_value());
}

TEST(Url, EncodeDecodeAndQuery) {
  EXPECT_EQ(percentEncode("app in (a,b)"), "app%20in%20%28a%2Cb%29");
  EXPECT_EQ(percentDecode("a%20b+c", true), "a b c");
  EXPECT_EQ(percentDecode("a%20b+c", false), "a b+c");
  EXPECT_EQ(percentDecode("bad%zz", false), "bad%zz");
  auto q = parseQuery("watch=true&labelSelector=app%3Dweb&flag&x=1+2");
  EXPECT_EQ(q.find("watch")->second, "true");
  EXPECT_EQ(q.find("labelSelector")->second, "app=web");
  EXPECT_EQ(q.find("flag")->second, "");
  EXPECT_EQ(q.find("x")->second, "1 2");
}

TEST(TimeFormat, FormatsAndParses) {
  auto t = std::chrono::system_clock::time_point{std::chrono::seconds(1735725610)} +
           std::chrono::microseconds(123456);
  EXPECT_EQ(formatRfc3339(t), "2025-01-01T10:00:10Z");
  EXPECT_EQ(formatRfc3339Micro(t), "2025-01-01T10:00:10.123456Z");
  EXPECT_EQ(*parseRfc3339("2025-01-01T10:00:10.123456Z"), t);
  EXPECT_EQ(*parseRfc3339("2025-01-01T12:00:10.123456+02:00"), t);
  EXPECT_EQ(*parseRfc3339("2025-01-01T10:00:10Z"),
            std::chrono::system_clock::time_point{std::chrono::seconds(1735725610)});
  EXPECT_FALSE(parseRfc3339("2025-01-01 10:00:10").has_value());
  EXPECT_FALSE(parseRfc3339("2025-01-01T10:00:10").has_value());
}

TEST(FakeClock, AdvancesOnlyWhenTold) {
  FakeClock clock;
  auto start = clock.now();
  clock.advance(std::chrono::seconds(90));
  EXPECT_EQ(clock.now() - start, std::chrono::seconds(90));
}

TEST(SelfSignedCert, HasRequestedSubjectAltNames) {
  auto pem = generateSelfSignedCert("sandbox", {"127.0.0.1", "localhost"});
  ASSERT_TRUE(pem.ok()) << pem.error().describe();
  BIO* bio = BIO_new_mem_buf(pem->certificatePem.data(), static_cast<int>(pem->certificatePem.size()));
  X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  ASSERT_NE(cert, nullptr);
  EXPECT_EQ(X509_check_host(cert, "localhost", 0, 0, nullptr), 1);
  EXPECT_EQ(X509_check_ip_asc(cert, "127.0.0.1", 0), 1);
  EXPECT_NE(X509_check_host(cert, "example.com", 0, 0, nullptr), 1);
  X509_free(cert);
  EXPECT_NE(pem->privateKeyPem.find("PRIVATE KEY"), std::string::npos);
}

}  // namespace
}  // namespace aviary
