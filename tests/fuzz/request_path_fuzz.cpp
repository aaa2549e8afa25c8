// libFuzzer target: any bytes as namespace, name and subresource either fail to build a path or give a
// target that the transport accepts, with the name confined to its segments. Build with clang and
// -DAVIARY_FUZZ=ON (target aviary-fuzz-request-path); with gcc the same entry point runs under
// replay_main.cpp in ctest.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "operator/kube/request_path.h"
#include "operator/kube/resource_type.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string input(reinterpret_cast<const char*>(data), size);
  // Three fields separated by the first two 0xFF bytes (0xFF never appears in a valid segment).
  auto first = input.find('\xff');
  auto second = first == std::string::npos ? std::string::npos : input.find('\xff', first + 1);
  std::string ns = input.substr(0, first);
  std::string name = first == std::string::npos ? "" : input.substr(first + 1, second - first - 1);
  std::string sub = second == std::string::npos ? "" : input.substr(second + 1);
  auto path = aviary::kube::resources::kDeployments.objectPath(ns, name, sub);
  if (!path) return 0;
  if (!aviary::kube::checkRequestTarget(*path)) std::abort();
  std::size_t slashes = 0;
  for (char c : *path) slashes += c == '/';
  std::size_t expected = 4 + (ns.empty() ? 0 : 2) + 1 + (sub.empty() ? 0 : 1);
  if (slashes != expected || path->find('?') != std::string::npos) std::abort();
  return 0;
}
