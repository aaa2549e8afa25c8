#include "operator/core/random_token.h"

#include <openssl/rand.h>

#include <cstdlib>
#include <vector>

#include <spdlog/spdlog.h>

namespace aviary {

std::string randomHex(std::size_t bytes) {
  std::vector<unsigned char> raw(bytes);
  if (bytes > 0 && RAND_bytes(raw.data(), static_cast<int>(bytes)) != 1) {
    spdlog::critical("OpenSSL RAND_bytes failed: no entropy source");
    std::abort();
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes * 2);
  for (unsigned char b : raw) {
    out += kHex[b >> 4];
    out += kHex[b & 0xf];
  }
  return out;
}

}  // namespace aviary
