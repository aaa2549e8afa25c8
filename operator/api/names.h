// Kubernetes' rules for object names, checked where names enter Aviary (the Canary's spec), so that a name
// the API server would refuse, or one crafted to change a request, is an InvalidSpec with its field path.
//
// Source: k8s.io/apimachinery/pkg/util/validation (IsDNS1123Label, IsDNS1123Subdomain, IsDNS1035Label)
// and the Kubernetes "Object Names and IDs" reference; the messages follow Kubernetes' wording.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace aviary::api {

inline constexpr std::size_t kMaxLabelLength = 63;       // DNS-1123/1035 label
inline constexpr std::size_t kMaxSubdomainLength = 253;  // DNS-1123 subdomain

// nullopt when `name` is a lowercase RFC 1123 label (namespaces, most label-like names); else why not.
std::optional<std::string> dns1123LabelProblem(std::string_view name);
// nullopt when `name` is a lowercase RFC 1123 subdomain (Deployments, ConfigMaps, HPAs); else why not.
std::optional<std::string> dns1123SubdomainProblem(std::string_view name);
// nullopt when `name` is an RFC 1035 label (Services); else why not.
std::optional<std::string> dns1035LabelProblem(std::string_view name);

}  // namespace aviary::api
