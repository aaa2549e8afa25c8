// A JSON object kept as MessagePack bytes (msgpack.org's format, through nlohmann::json's to_msgpack and
// from_msgpack), for caches where memory matters more than a decode on each read. A Deployment's
// projection of 1.2 KB of JSON text takes about 7.5 KB parsed (a map node and often a string allocation
// per field) and 1.1 KB packed; packing it costs about 3.5 µs and unpacking about 13 µs (the machine of
// docs/performance.md). Immutable once made.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "operator/kube/kube_client.h"

namespace aviary::kube {

class PackedJson {
 public:
  explicit PackedJson(const Json& object);
  // The object again, as it was packed. Throws nlohmann::json::parse_error only for an object that held
  // a discarded value (which packs to nothing); parsed objects never hold one.
  Json unpack() const;
  // The packed size in bytes.
  std::size_t size() const { return bytes_.size(); }

 private:
  std::vector<std::uint8_t> bytes_;
};

// The unpacked object held as the caches hand objects out (null for null).
std::shared_ptr<const Json> unpacked(const std::shared_ptr<const PackedJson>& packed);

}  // namespace aviary::kube
