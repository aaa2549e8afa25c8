// Which hosts the operator may contact on a Canary's behalf (spec.metricsServer today; webhook and alert
// URLs when they arrive). A tenant who can edit a Canary must not be able to point the operator at the
// cloud's metadata service, the node's loopback or another tenant's internal endpoints (SSRF): the
// operator's administrator lists what is allowed, and link-local, loopback and metadata addresses are
// refused unless an entry names them explicitly.
//
// Entries (--metrics-server-allow): a host name ("prometheus.monitoring"), a wildcard suffix
// ("*.monitoring.svc.cluster.local"), "*" (any host name, not IP literals), an IP literal, or a CIDR
// ("10.0.0.0/8", "fd00::/8"). An exact host or IP entry, or a CIDR lying inside a refused range
// ("127.0.0.0/8", "169.254.169.254/32"), counts as naming a refused address explicitly; "0.0.0.0/0" does
// not. Host names are compared as written: the allow-list trusts DNS for the names it lists.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "operator/core/result.h"

namespace aviary {

class EgressAllowList {
 public:
  // Errors: Config, naming the entry that is neither a host name, an IP literal nor a CIDR.
  static Result<EgressAllowList> parse(const std::vector<std::string>& entries);

  // nullopt when `host` (a name, or an IP literal with IPv6 unbracketed) may be contacted; else why not.
  std::optional<std::string> problem(std::string_view host) const;
  // The entries, comma-separated, for messages.
  std::string describe() const;

  struct Cidr {
    std::vector<unsigned char> bytes;  // 4 or 16
    int prefix = 0;
  };

 private:
  std::vector<std::string> names_;     // exact, lower case
  std::vector<std::string> suffixes_;  // from "*.x": ".x"
  bool anyName_ = false;
  std::vector<Cidr> cidrs_;  // IP literal entries are /32 or /128
  std::vector<std::string> entries_;
};

}  // namespace aviary
