#include "operator/kube/request_path.h"

#include "operator/core/text_safety.h"
#include "operator/core/url.h"

namespace aviary::kube {
Result<std::string> encodePathSegment(std::string_view segment, std::string_view what) {
  std::string label(what);
  if (segment.empty()) return makeError(ErrorCode::Invalid, label + " may not be empty");
  if (segment == "." || segment == "..") {
    return makeError(ErrorCode::Invalid, label + " may not be " + quoteForMessage(segment));
  }
  for (char ch : segment) {
    auto c = static_cast<unsigned char>(ch);
    if (c == '/' || c == '%') {
      return makeError(ErrorCode::Invalid, label + " " + quoteForMessage(segment) + " may not contain '" +
                                               std::string(1, ch) + "'");
    }
    if (c <= 0x20 || c >= 0x7f) {
      return makeError(ErrorCode::Invalid,
                       label + " " + quoteForMessage(segment) + " may only hold printable ASCII characters");
    }
  }
  return percentEncode(segment);
}

Status checkRequestTarget(std::string_view target) {
  if (target.empty() || target.front() != '/') {
    return makeError(ErrorCode::Invalid,
                     "request target " + quoteForMessage(target) + " must start with '/'");
  }
  bool query = false;
  for (char ch : target) {
    auto c = static_cast<unsigned char>(ch);
    if (c <= 0x20 || c >= 0x7f || c == '#' || c == '"') {
      return makeError(ErrorCode::Invalid, "request target " + quoteForMessage(target) +
                                               " holds a character that must be percent-encoded");
    }
    if (c == '?') {
      if (query)
        return makeError(ErrorCode::Invalid, "request target " + quoteForMessage(target) + " has two '?'");
      query = true;
    }
  }
  return {};
}

Status checkHeaderValue(std::string_view header, std::string_view value) {
  for (char ch : value) {
    auto c = static_cast<unsigned char>(ch);
    if ((c < 0x20 && c != '\t') || c == 0x7f) {
      return makeError(ErrorCode::Invalid, "header " + std::string(header) + " holds a control character");
    }
  }
  return {};
}

}  // namespace aviary::kube

#include "operator/kube/resource_type.h"

namespace aviary::kube {

Result<std::string> ResourceType::collectionPath(const std::string& ns) const {
  std::string path;
  if (!group.empty()) {
    auto g = encodePathSegment(group, "API group");
    if (!g) return g;
    path = "/apis/" + *g;
  } else {
    path = "/api";
  }
  auto v = encodePathSegment(version, "API version");
  if (!v) return v;
  path += "/" + *v;
  if (namespaced && !ns.empty()) {
    auto n = encodePathSegment(ns, "namespace");
    if (!n) return n;
    path += "/namespaces/" + *n;
  }
  auto p = encodePathSegment(plural, "resource");
  if (!p) return p;
  return path + "/" + *p;
}

Result<std::string> ResourceType::objectPath(const std::string& ns, const std::string& name,
                                             const std::string& subresource) const {
  auto path = collectionPath(ns);
  if (!path) return path;
  auto n = encodePathSegment(name, kind.empty() ? "name" : kind + " name");
  if (!n) return n;
  *path += "/" + *n;
  if (subresource.empty()) return path;
  auto sub = encodePathSegment(subresource, "subresource");
  if (!sub) return sub;
  return *path + "/" + *sub;
}

}  // namespace aviary::kube
