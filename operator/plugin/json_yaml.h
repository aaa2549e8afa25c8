// `-o yaml`: a JSON document emitted as YAML by yaml-cpp (strings that would read back as another type
// are quoted by the emitter).
#pragma once

#include <string>

#include "operator/kube/kube_client.h"

namespace aviary::plugin {

std::string toYaml(const kube::Json& document);

}  // namespace aviary::plugin
