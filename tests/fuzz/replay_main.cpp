// Runs a libFuzzer entry point without libFuzzer (gcc builds, ctest): every seed file given (files or
// folders), then inputs mutated from them for a time budget — bytes flipped, inserted, deleted or
// duplicated, tokens of JSON, YAML, PromQL templates and patches spliced in, two seeds crossed — and, with
// no seed, random strings. Deterministic for a given --seed. On a finding (the target aborts or crashes)
// the input is written to ./crash-input and the process dies of the signal. A hand-written stand-in:
// libFuzzer needs clang
// (`make fuzz` builds the same targets with it, coverage-guided).
//
// Usage: TARGET_replay [--seconds S] [--seed N] SEED_FILE_OR_DIR...
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

const std::vector<std::string> kTokens = {
    "{",
    "}",
    "[",
    "]",
    "\"",
    ":",
    ",",
    "null",
    "true",
    "false",
    "0",
    "-1",
    "1e308",
    "-1e308",
    "NaN",
    "\"\\u0000\"",
    "\"\\ud800\"",
    "\n",
    "\r\n",
    "\t",
    " ",
    "---\n",
    "- ",
    ": ",
    "&a ",
    "*a",
    "!!binary ",
    "{{",
    "}}",
    "{{ namespace }}",
    "{{ variables.x }}",
    "$patch",
    "\"$patch\":\"delete\"",
    "\"$retainKeys\"",
    "\"op\":\"remove\"",
    "\"path\":\"/a/-\"",
    "\xff",
    "\xc3\xa9",
    "\xf0\x9f\x90\xa6",
    "%",
    "\\",
    "/",
    "..",
    "99999999999999999999",
    "\"type\":\"ADDED\"",
    "\"object\":",
    "\"status\":\"success\"",
    "\"resultType\":",
};

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// The input being run, for the crash handler (which may only use async-signal-safe calls).
const std::string* current = nullptr;

void onCrash(int sig) {
  const char note[] = "fuzz replay: finding; the input is in ./crash-input\n";
  if (current) {
    const int fd = ::open("crash-input", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
      [[maybe_unused]] auto w = ::write(fd, current->data(), current->size());
      ::close(fd);
    }
  }
  [[maybe_unused]] auto w = ::write(2, note, sizeof note - 1);
  ::signal(sig, SIG_DFL);
  ::raise(sig);
}

void run(const std::string& input) {
  current = &input;
  LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(input.data()), input.size());
  current = nullptr;
}

std::string mutate(std::string s, const std::vector<std::string>& seeds, std::mt19937_64& random) {
  const int edits = 1 + static_cast<int>(random() % 8);
  for (int e = 0; e < edits; ++e) {
    const std::size_t at = s.empty() ? 0 : random() % (s.size() + 1);
    switch (random() % 6) {
      case 0:  // flip a byte
        if (!s.empty()) s[at % s.size()] = static_cast<char>(random());
        break;
      case 1:  // insert a random byte
        s.insert(at, 1, static_cast<char>(random()));
        break;
      case 2:  // delete a run
        if (!s.empty()) s.erase(at % s.size(), 1 + random() % 16);
        break;
      case 3:  // a token
        s.insert(at, kTokens[random() % kTokens.size()]);
        break;
      case 4:  // duplicate a run (deep nesting, long strings)
        if (!s.empty()) {
          const std::size_t from = at % s.size();
          const std::string run = s.substr(from, 1 + random() % 64);
          for (int i = 0, n = 1 + static_cast<int>(random() % 32); i < n; ++i) s.insert(from, run);
        }
        break;
      default:  // splice another seed in
        if (!seeds.empty()) {
          const std::string& other = seeds[random() % seeds.size()];
          if (!other.empty()) s.insert(at, other.substr(random() % other.size(), 1 + random() % 256));
        }
    }
    if (s.size() > (1 << 20)) s.resize(1 << 20);
  }
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  double seconds = 3;
  std::uint64_t seed = 20261201;
  std::vector<std::string> seeds;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--seconds" && i + 1 < argc) {
      seconds = std::atof(argv[++i]);
    } else if (arg == "--seed" && i + 1 < argc) {
      seed = std::strtoull(argv[++i], nullptr, 10);
    } else if (std::filesystem::is_directory(arg)) {
      for (const auto& f : std::filesystem::directory_iterator(arg))
        if (f.is_regular_file()) seeds.push_back(slurp(f.path()));
    } else {
      seeds.push_back(slurp(arg));
    }
  }
  for (int sig : {SIGABRT, SIGSEGV, SIGBUS, SIGFPE, SIGILL}) ::signal(sig, onCrash);
  for (const auto& s : seeds) run(s);
  std::mt19937_64 random(seed);
  const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  long runs = 0;
  while (std::chrono::steady_clock::now() < end) {
    for (int batch = 0; batch < 64; ++batch, ++runs) {
      std::string input = seeds.empty() ? std::string() : seeds[random() % seeds.size()];
      run(mutate(std::move(input), seeds, random));
    }
  }
  std::printf("%zu seeds and %ld mutated inputs in %.1f s (seed %llu), no finding\n", seeds.size(), runs,
              seconds, static_cast<unsigned long long>(seed));
  return 0;
}
