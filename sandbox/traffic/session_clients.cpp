#include "sandbox/traffic/session_clients.h"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace aviary::sandbox::traffic {
namespace {

std::string trim(const std::string& s) {
  auto begin = s.find_first_not_of(" \t");
  if (begin == std::string::npos) return "";
  return s.substr(begin, s.find_last_not_of(" \t") - begin + 1);
}

bool equalsIgnoreCase(const std::string& a, const char* b) {
  std::string lower = a;
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  return lower == b;
}

}  // namespace

std::string SimulatedClient::cookieHeader(double now) {
  std::erase_if(cookies, [&](const Cookie& c) { return c.expiresAt <= now; });
  std::string header;
  for (const auto& c : cookies) {
    if (!header.empty()) header += "; ";
    header += c.name + "=" + c.value;
  }
  return header;
}

void SimulatedClient::receive(const std::string& setCookie, double now) {
  // name=value[; attribute[=value]]…
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (start <= setCookie.size()) {
    std::size_t semi = setCookie.find(';', start);
    if (semi == std::string::npos) semi = setCookie.size();
    parts.push_back(trim(setCookie.substr(start, semi - start)));
    start = semi + 1;
  }
  const std::string& pair = parts.front();
  const auto eq = pair.find('=');
  if (eq == std::string::npos || eq == 0) return;
  Cookie cookie{trim(pair.substr(0, eq)), trim(pair.substr(eq + 1))};
  for (std::size_t i = 1; i < parts.size(); ++i) {
    const auto attrEq = parts[i].find('=');
    if (attrEq == std::string::npos || !equalsIgnoreCase(trim(parts[i].substr(0, attrEq)), "max-age"))
      continue;
    const std::string seconds = trim(parts[i].substr(attrEq + 1));
    long long value = 0;
    auto [end, ec] = std::from_chars(seconds.data(), seconds.data() + seconds.size(), value);
    if (ec != std::errc() || end != seconds.data() + seconds.size()) continue;  // RFC 6265 §5.2.2: ignored
    cookie.expiresAt = now + static_cast<double>(value);
  }
  // RFC 6265 §5.3 step 11: a cookie of the same name is replaced and keeps its creation time, so its place
  // in the Cookie header (§5.4: by creation time).
  auto same =
      std::find_if(cookies.begin(), cookies.end(), [&](const Cookie& c) { return c.name == cookie.name; });
  if (cookie.expiresAt <= now) {
    if (same != cookies.end()) cookies.erase(same);
  } else if (same != cookies.end()) {
    *same = std::move(cookie);
  } else {
    cookies.push_back(std::move(cookie));
  }
}

void SessionClients::served(SimulatedClient& client, const std::string& workload, SeriesRegistry& series) {
  if (!client.lastWorkload.empty() && client.lastWorkload != workload) {
    auto [it, inserted] = moves_.try_emplace({client.lastWorkload, workload}, nullptr);
    if (inserted) {
      it->second = series.series(
          Family::SessionMove,
          {{"from", client.lastWorkload}, {"namespace", ns_}, {"service", service_}, {"to", workload}}, "");
    }
    it->second->recordOutcome(200);
  }
  client.lastWorkload = workload;
}

}  // namespace aviary::sandbox::traffic
