// docs/analysis.md shows every provider's built-in checks as the operator runs them: each PromQL template
// of every provider's descriptor appears there verbatim, under that provider's name, so the guide an SRE
// reads to choose thresholds cannot drift from the code.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "mesh-adapters/router.h"

namespace aviary::mesh {
namespace {

std::string read(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(BuiltInQueriesDoc, EveryProvidersQueriesAppearVerbatimUnderItsName) {
  const std::string doc = read(std::string(AVIARY_SOURCE_DIR) + "/docs/analysis.md");
  ASSERT_FALSE(doc.empty());
  const RouterRegistry registry = builtInRouters();
  int checked = 0;
  for (const auto& provider : registry.providers()) {
    const ProviderDescriptor* d = registry.find(provider);
    ASSERT_NE(d, nullptr);
    if (d->builtInQueries.empty()) continue;
    // The heading that names the provider (aliases share one: "#### `appmesh`, `appmesh:v1beta2`").
    auto section = std::string::npos;
    for (auto at = doc.find("\n#### "); at != std::string::npos; at = doc.find("\n#### ", at + 1)) {
      const std::string heading = doc.substr(at, doc.find('\n', at + 1) - at);
      if (heading.find("`" + provider + "`") != std::string::npos) {
        section = at;
        break;
      }
    }
    if (section == std::string::npos) {
      std::string expected;
      for (const auto& [metric, query] : d->builtInQueries) expected += metric + ":\n" + query + "\n";
      ADD_FAILURE() << "docs/analysis.md has no section #### `" << provider << "`; its checks run:\n"
                    << expected;
      continue;
    }
    const auto next = doc.find("\n#### ", section + 1);
    const std::string body =
        doc.substr(section, next == std::string::npos ? std::string::npos : next - section);
    for (const auto& [metric, query] : d->builtInQueries) {
      EXPECT_NE(body.find(query), std::string::npos)
          << provider << " " << metric << " is not in its section of docs/analysis.md; it runs:\n"
          << query;
      ++checked;
    }
  }
  EXPECT_GE(checked, 8) << "every weighted provider has two built-in checks";
}

}  // namespace
}  // namespace aviary::mesh
