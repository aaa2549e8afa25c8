#include "operator/core/private_file.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

namespace aviary {
namespace {

TEST(PrivateFile, IsOwnerOnlyAndNeverFollowsASymlink) {
  char pattern[] = "/tmp/aviary-private-XXXXXX";
  std::string dir = mkdtemp(pattern);
  std::string path = dir + "/kubeconfig";
  std::ofstream(path) << "old, world-readable";
  ::chmod(path.c_str(), 0644);
  ASSERT_TRUE(writePrivateFile(path, "token: s3cret\n"));
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  std::stringstream content;
  content << std::ifstream(path).rdbuf();
  EXPECT_EQ(content.str(), "token: s3cret\n");
  // A link planted where the kubeconfig goes (pointing at a file the attacker wants overwritten or read).
  std::string target = dir + "/elsewhere";
  std::ofstream(target) << "keep me";
  std::string link = dir + "/planted";
  ASSERT_EQ(::symlink(target.c_str(), link.c_str()), 0);
  auto refused = writePrivateFile(link, "token: s3cret\n");
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("symbolic link"), std::string::npos) << refused.error().message;
  std::stringstream kept;
  kept << std::ifstream(target).rdbuf();
  EXPECT_EQ(kept.str(), "keep me");
  for (const auto& f : {path, target, link}) ::unlink(f.c_str());
  ::rmdir(dir.c_str());
}

}  // namespace
}  // namespace aviary
