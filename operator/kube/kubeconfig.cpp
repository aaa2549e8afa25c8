// Kubeconfig parsing and merging. Errors name the file and the field path, e.g.
// "kubeconfig /home/u/.kube/config: users[0].user.client-key-data: not valid base64".
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "operator/core/base64.h"
#include "operator/kube/cluster_config.h"

namespace aviary::kube {
namespace {

// A named entry (cluster, user or context) and where it came from.
struct Entry {
  YAML::Node body;
  std::string file;
  std::string baseDir;
  std::string fieldPath;  // "clusters[1].cluster"
};

struct MergedKubeconfig {
  std::string currentContext;
  std::map<std::string, Entry> clusters, users, contexts;
};

Error configError(const std::string& file, const std::string& field, const std::string& what) {
  return makeError(ErrorCode::Config,
                   "kubeconfig " + file + ": " + (field.empty() ? "" : field + ": ") + what);
}

Result<std::string> readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return makeError(ErrorCode::Config, "cannot read " + path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

Result<std::string> scalar(const Entry& e, const char* key) {
  YAML::Node node = e.body[key];
  if (!node || node.IsNull()) return std::string{};
  if (!node.IsScalar()) return configError(e.file, e.fieldPath + "." + key, "must be a string");
  return node.as<std::string>();
}

// Adds the entries of one `clusters`/`users`/`contexts` list; names already present are kept (first wins).
Status mergeList(const YAML::Node& root, const char* listKey, const char* bodyKey, const std::string& file,
                 const std::string& baseDir, std::map<std::string, Entry>& into) {
  YAML::Node list = root[listKey];
  if (!list || list.IsNull()) return {};
  if (!list.IsSequence()) return configError(file, listKey, "must be a list");
  for (std::size_t i = 0; i < list.size(); ++i) {
    std::string path = std::string(listKey) + "[" + std::to_string(i) + "]";
    const YAML::Node& item = list[i];
    if (!item.IsMap()) return configError(file, path, "must be a mapping");
    if (!item["name"] || !item["name"].IsScalar() || item["name"].as<std::string>().empty()) {
      return configError(file, path + ".name", "is required");
    }
    YAML::Node body = item[bodyKey];
    if (body && !body.IsMap() && !body.IsNull())
      return configError(file, path + "." + bodyKey, "must be a mapping");
    into.emplace(item["name"].as<std::string>(),
                 Entry{body ? body : YAML::Node(YAML::NodeType::Map), file, baseDir, path + "." + bodyKey});
  }
  return {};
}

Status mergeText(const std::string& text, const std::string& file, const std::string& baseDir,
                 MergedKubeconfig& merged) {
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    return configError(file, "", std::string("not valid YAML: ") + e.what());
  }
  if (root.IsNull()) return {};
  if (!root.IsMap()) return configError(file, "", "must be a YAML mapping");
  if (auto cc = root["current-context"]; cc && cc.IsScalar() && merged.currentContext.empty()) {
    merged.currentContext = cc.as<std::string>();
  }
  for (auto [list, body, target] :
       {std::tuple{"clusters", "cluster", &merged.clusters}, std::tuple{"users", "user", &merged.users},
        std::tuple{"contexts", "context", &merged.contexts}}) {
    if (auto st = mergeList(root, list, body, file, baseDir, *target); !st) return st;
  }
  return {};
}

std::string resolvePath(const std::string& baseDir, const std::string& path) {
  if (path.empty() || path[0] == '/' || baseDir.empty()) return path;
  return (std::filesystem::path(baseDir) / path).string();
}

// Reads `<key>-data` (base64) or the file named by `<key>`; empty when neither is set.
Result<std::string> pemField(const Entry& e, const std::string& key) {
  auto data = scalar(e, (key + "-data").c_str());
  if (!data) return data;
  if (!data->empty()) {
    auto decoded = base64Decode(*data);
    if (!decoded) return configError(e.file, e.fieldPath + "." + key + "-data", "not valid base64");
    return *decoded;
  }
  auto path = scalar(e, key.c_str());
  if (!path) return path;
  if (path->empty()) return std::string{};
  auto content = readFile(resolvePath(e.baseDir, *path));
  if (!content)
    return configError(e.file, e.fieldPath + "." + key, "cannot read " + resolvePath(e.baseDir, *path));
  return content;
}

Result<ClusterConfig> resolve(const MergedKubeconfig& merged, const std::string& firstFile,
                              const std::string& contextOverride) {
  std::string contextName = contextOverride.empty() ? merged.currentContext : contextOverride;
  if (contextName.empty())
    return configError(firstFile, "current-context", "is not set and no --context given");
  auto ctxIt = merged.contexts.find(contextName);
  if (ctxIt == merged.contexts.end()) {
    return configError(firstFile, "contexts", "no context named \"" + contextName + "\"");
  }
  const Entry& ctx = ctxIt->second;
  auto clusterName = scalar(ctx, "cluster");
  if (!clusterName) return clusterName.takeError();
  auto clusterIt = merged.clusters.find(*clusterName);
  if (clusterIt == merged.clusters.end()) {
    return configError(ctx.file, ctx.fieldPath + ".cluster", "no cluster named \"" + *clusterName + "\"");
  }
  const Entry& cluster = clusterIt->second;

  ClusterConfig config;
  config.source = "kubeconfig " + firstFile + " (context " + contextName + ")";
  auto server = scalar(cluster, "server");
  if (!server) return server.takeError();
  if (server->empty()) return configError(cluster.file, cluster.fieldPath + ".server", "is required");
  if (server->rfind("http://", 0) != 0 && server->rfind("https://", 0) != 0) {
    return configError(cluster.file, cluster.fieldPath + ".server", "must start with http:// or https://");
  }
  config.server = *server;
  auto ca = pemField(cluster, "certificate-authority");
  if (!ca) return ca.takeError();
  config.tls.caPem = *ca;
  if (auto insecure = cluster.body["insecure-skip-tls-verify"]; insecure && !insecure.IsNull()) {
    try {
      config.tls.insecureSkipVerify = insecure.as<bool>();
    } catch (const YAML::Exception&) {
      return configError(cluster.file, cluster.fieldPath + ".insecure-skip-tls-verify",
                         "must be true or false");
    }
  }
  auto serverName = scalar(cluster, "tls-server-name");
  if (!serverName) return serverName.takeError();
  config.tls.serverName = *serverName;

  auto ns = scalar(ctx, "namespace");
  if (!ns) return ns.takeError();
  if (!ns->empty()) config.defaultNamespace = *ns;

  auto userName = scalar(ctx, "user");
  if (!userName) return userName.takeError();
  if (!userName->empty()) {
    auto userIt = merged.users.find(*userName);
    if (userIt == merged.users.end()) {
      return configError(ctx.file, ctx.fieldPath + ".user", "no user named \"" + *userName + "\"");
    }
    const Entry& user = userIt->second;
    auto cert = pemField(user, "client-certificate");
    if (!cert) return cert.takeError();
    auto key = pemField(user, "client-key");
    if (!key) return key.takeError();
    if (cert->empty() != key->empty()) {
      return configError(user.file, user.fieldPath, "client-certificate and client-key must be set together");
    }
    config.tls.clientCertPem = *cert;
    config.tls.clientKeyPem = *key;
    auto token = scalar(user, "token");
    if (!token) return token.takeError();
    auto tokenFile = scalar(user, "tokenFile");
    if (!tokenFile) return tokenFile.takeError();
    if (!token->empty()) {
      config.token = std::make_shared<StaticTokenSource>(*token);
    } else if (!tokenFile->empty()) {
      config.token = std::make_shared<FileTokenSource>(resolvePath(user.baseDir, *tokenFile));
    }
    if (user.body["exec"] || user.body["auth-provider"]) {
      if (!config.token && config.tls.clientCertPem.empty()) {
        return configError(user.file, user.fieldPath, "exec and auth-provider credentials are not supported");
      }
    }
  }
  return config;
}

}  // namespace

Result<ClusterConfig> parseKubeconfig(const std::string& yamlText, const std::string& fileName,
                                      const std::string& baseDir, const std::string& context) {
  MergedKubeconfig merged;
  if (auto st = mergeText(yamlText, fileName, baseDir, merged); !st) return st.error();
  return resolve(merged, fileName, context);
}

Result<ClusterConfig> loadKubeconfig(const std::string& paths, const std::string& context) {
  MergedKubeconfig merged;
  std::string firstFile;
  std::stringstream list(paths);
  std::string path;
  while (std::getline(list, path, ':')) {
    if (path.empty()) continue;
    if (firstFile.empty()) firstFile = path;
    auto text = readFile(path);
    if (!text) return configError(path, "", "cannot read the file");
    std::string baseDir = std::filesystem::path(path).parent_path().string();
    if (auto st = mergeText(*text, path, baseDir, merged); !st) return st.error();
  }
  if (firstFile.empty()) return makeError(ErrorCode::Config, "no kubeconfig path given");
  return resolve(merged, firstFile, context);
}

}  // namespace aviary::kube
