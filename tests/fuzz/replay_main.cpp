// Runs a libFuzzer entry point without libFuzzer (gcc builds, ctest): seeded random inputs drawn from the
// bytes that matter to the target, plus any files given on the command line. Exits non-zero (the target
// aborts) on a finding.
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <random>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    std::ifstream in(argv[i], std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  }
  const std::string alphabet("aZ09-._~/?#%:@ \r\n\t\"\\\0\x7f\xc3\xa9\xff\xff", 27);
  std::mt19937 random(20261130);
  constexpr int kRuns = 200'000;
  for (int run = 0; run < kRuns; ++run) {
    std::string input;
    std::size_t length = random() % 24;
    for (std::size_t j = 0; j < length; ++j) input += alphabet[random() % alphabet.size()];
    LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(input.data()), input.size());
  }
  std::printf("%d inputs, no finding\n", kRuns);
  return 0;
}
