#include "operator/kube/packed_json.h"

namespace aviary::kube {

PackedJson::PackedJson(const Json& object) : bytes_(Json::to_msgpack(object)) {
  bytes_.shrink_to_fit();  // to_msgpack grows the vector as it writes
}

Json PackedJson::unpack() const {
  return Json::from_msgpack(bytes_);
}

std::shared_ptr<const Json> unpacked(const std::shared_ptr<const PackedJson>& packed) {
  return packed ? std::make_shared<const Json>(packed->unpack()) : nullptr;
}

}  // namespace aviary::kube
