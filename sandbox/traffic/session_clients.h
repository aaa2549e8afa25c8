// Simulated users who keep cookies, for proving session affinity. A Service annotated
// sandbox.aviary.io/traffic-clients: "N" sends each of its requests from one of N clients; a client sends
// back, in its Cookie header, every unexpired cookie an earlier response set (Set-Cookie, RFC 6265 §4.1:
// `name=value` with an optional `Max-Age=<seconds>`; Max-Age ≤ 0 removes the cookie; no Max-Age keeps it
// for the client's lifetime). Other attributes (Path, Domain, Secure…) are accepted and ignored: every
// simulated request is GET / over one origin.
//
// The ground truth it keeps: a client whose request is served by another Deployment than its previous
// request counts one move, sandbox_user_session_moves_total{namespace, service, from, to} (Deployment
// names). With session affinity during a canary analysis, no client moves from the canary back to the
// primary.
#pragma once

#include <cstdint>
#include <limits>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "sandbox/traffic/series_registry.h"

namespace aviary::sandbox::traffic {

struct SimulatedClient {
  struct Cookie {
    std::string name, value;
    double expiresAt = std::numeric_limits<double>::infinity();  // simulated seconds
  };
  std::vector<Cookie> cookies;
  std::string lastWorkload;  // the Deployment that served its previous request; empty before the first

  // The Cookie request header at `now` ("a=1; b=2"), expired cookies dropped; empty when it has none.
  std::string cookieHeader(double now);
  // Applies one Set-Cookie header value received at `now`. A value without "name=" is ignored, as a
  // browser ignores it.
  void receive(const std::string& setCookie, double now);
};

class SessionClients {
 public:
  SessionClients(std::string ns, std::string service, std::size_t count)
      : ns_(std::move(ns)), service_(std::move(service)), clients_(count) {}
  std::size_t size() const { return clients_.size(); }
  SimulatedClient& operator[](std::size_t i) { return clients_[i]; }
  // Records that `client` was just served by `workload` (a move when another one served it last).
  void served(SimulatedClient& client, const std::string& workload, SeriesRegistry& series);

 private:
  std::string ns_, service_;
  std::vector<SimulatedClient> clients_;
  std::map<std::pair<std::string, std::string>, Series*> moves_;  // (from, to) → its counter
};

}  // namespace aviary::sandbox::traffic
