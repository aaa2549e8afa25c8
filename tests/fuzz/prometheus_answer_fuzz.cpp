// libFuzzer target: any body, with an HTTP status chosen by the first byte, parses as a Prometheus API
// answer or gives an error whose message stays bounded, never a crash or an exception.
#include <cstdlib>

#include "analysis/prometheus/prometheus_client.h"
#include "tests/fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const int kStatuses[] = {200, 200, 200, 400, 401, 403, 422, 500, 503, 204};
  const int status = size == 0 ? 200 : kStatuses[data[0] % 10];
  const std::string body = size == 0 ? "" : aviary::fuzz::text(data + 1, size - 1);
  auto answer = aviary::analysis::parsePrometheusAnswer("http://prometheus:9090", "up", status, body);
  if (!answer && answer.error().message.size() > 4096) std::abort();
  return 0;
}
