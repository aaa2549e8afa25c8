#include "operator/kube/token_source.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <thread>

namespace aviary::kube {
namespace {

TEST(FileTokenSource, PicksUpARotatedToken) {
  auto path = std::filesystem::temp_directory_path() / ("aviary-token-" + std::to_string(::getpid()));
  std::ofstream(path) << "first\n";
  FileTokenSource source(path.string());
  EXPECT_EQ(*source.token(), "first");
  // Rotation as kubelet does it: a new file swapped in (new size and mtime).
  auto next = path.string() + ".new";
  std::ofstream(next) << "second-token\n";
  std::filesystem::rename(next, path);
  EXPECT_EQ(*source.token(), "second-token");
  std::filesystem::remove(path);
  auto gone = source.token();
  ASSERT_FALSE(gone.ok());
  EXPECT_EQ(gone.error().code, ErrorCode::Config);
}

}  // namespace
}  // namespace aviary::kube
