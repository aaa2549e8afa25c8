// The official Python kubernetes client (system /usr/bin/python3) against the sandbox over HTTPS.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "sandbox/api/api_server.h"
#include "tests/support/kubectl_runner.h"

namespace aviary::sandbox {
namespace {

TEST(PythonClient, TypedListsWatchAndErrors) {
  ApiServerOptions options;
  options.tls = true;
  options.defaultReadyAfter = std::chrono::milliseconds(100);
  ApiServer server(options);
  ASSERT_TRUE(server.start().ok());
  auto kubeconfig = std::filesystem::temp_directory_path() / ("aviary-python-" + std::to_string(::getpid()));
  std::ofstream(kubeconfig) << server.kubeconfig();
  auto r = aviary::testing::runCommand(
      "/usr/bin/python3 " AVIARY_SOURCE_DIR "/tests/sandbox/python_client_check.py " + kubeconfig.string());
  std::filesystem::remove(kubeconfig);
  EXPECT_EQ(r.exitCode, 0) << r.output;
  EXPECT_NE(r.output.find("watch: ADDED, MODIFIED, DELETED"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("deployment became available: 1"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace aviary::sandbox
