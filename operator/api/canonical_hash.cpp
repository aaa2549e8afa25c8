#include <openssl/evp.h>

#include <cstdio>

#include "operator/api/canary.h"

namespace aviary::api {

std::string canonicalHash(const Json& value) {
  // nlohmann's default object type is an ordered std::map: dump() already sorts keys and adds no spaces.
  std::string canonical = value.dump(-1, ' ', false, Json::error_handler_t::replace);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(canonical.data(), canonical.size(), digest, &length, EVP_sha256(), nullptr);
  std::string hex;
  char buf[3];
  for (unsigned int i = 0; i < length; ++i) {
    std::snprintf(buf, sizeof buf, "%02x", digest[i]);
    hex += buf;
  }
  return hex;
}

}  // namespace aviary::api
