// A GET as a scraper or a probe makes it, through python3's urllib (a real HTTP client, not ours): the
// status, the Content-Type and the body. Status 0: no answer.
#pragma once

#include <string>

#include "tests/support/kubectl_runner.h"

namespace aviary::testing {

struct HttpAnswer {
  int status = 0;
  std::string contentType, body;
};

inline HttpAnswer httpGet(const std::string& url) {
  auto r = runCommand(
      "python3 -c 'import sys, urllib.request, urllib.error\n"
      "try:\n r = urllib.request.urlopen(sys.argv[1]); print(r.status); "
      "print(r.headers.get(\"Content-Type\", \"\"))\n"
      " sys.stdout.write(r.read().decode())\n"
      "except urllib.error.HTTPError as e:\n print(e.code); print(e.headers.get(\"Content-Type\", \"\"))\n"
      " sys.stdout.write(e.read().decode())' " +
      url);
  HttpAnswer out;
  if (r.exitCode != 0) return out;
  auto first = r.output.find('\n');
  auto second = first == std::string::npos ? first : r.output.find('\n', first + 1);
  if (second == std::string::npos) return out;
  out.status = std::stoi(r.output.substr(0, first));
  out.contentType = r.output.substr(first + 1, second - first - 1);
  out.body = r.output.substr(second + 1);
  return out;
}

}  // namespace aviary::testing
