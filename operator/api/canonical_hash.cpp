#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cstdio>

#include "operator/api/canary.h"

namespace aviary::api {

namespace {

std::string hexOf(const unsigned char* digest, unsigned int length) {
  std::string hex;
  char buf[3];
  for (unsigned int i = 0; i < length; ++i) {
    std::snprintf(buf, sizeof buf, "%02x", digest[i]);
    hex += buf;
  }
  return hex;
}

// nlohmann's default object type is an ordered std::map: dump() already sorts keys and adds no spaces.
std::string canonicalJson(const Json& value) {
  return value.dump(-1, ' ', false, Json::error_handler_t::replace);
}

}  // namespace

std::string canonicalHash(const Json& value) {
  std::string canonical = canonicalJson(value);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(canonical.data(), canonical.size(), digest, &length, EVP_sha256(), nullptr);
  return hexOf(digest, length);
}

std::string canonicalHmac(const std::string& key, const Json& value) {
  std::string canonical = canonicalJson(value);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(canonical.data()), canonical.size(), digest, &length);
  return hexOf(digest, length);
}

}  // namespace aviary::api
