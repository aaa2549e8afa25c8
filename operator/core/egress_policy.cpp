#include "operator/core/egress_policy.h"

#include <arpa/inet.h>

#include <algorithm>
#include <boost/asio/ip/address.hpp>

#include "operator/core/text_safety.h"
#include "operator/core/url.h"

namespace aviary {
namespace {

using Cidr = EgressAllowList::Cidr;

// The address's bytes; an IPv4-mapped IPv6 address (::ffff:a.b.c.d) is its IPv4 address.
std::optional<std::vector<unsigned char>> addressBytes(std::string_view text) {
  boost::system::error_code ec;
  auto address = boost::asio::ip::make_address(std::string(text), ec);
  if (ec) return std::nullopt;
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    address = boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, address.to_v6());
  }
  if (address.is_v4()) {
    auto b = address.to_v4().to_bytes();
    return std::vector<unsigned char>(b.begin(), b.end());
  }
  auto b = address.to_v6().to_bytes();
  return std::vector<unsigned char>(b.begin(), b.end());
}

std::optional<Cidr> parseCidr(std::string_view text) {
  auto slash = text.find('/');
  auto bytes = addressBytes(text.substr(0, slash));
  if (!bytes) return std::nullopt;
  int maxPrefix = static_cast<int>(bytes->size() * 8);
  int prefix = maxPrefix;
  if (slash != std::string_view::npos) {
    std::string digits(text.substr(slash + 1));
    if (digits.empty() || digits.size() > 3 || !std::all_of(digits.begin(), digits.end(), ::isdigit))
      return std::nullopt;
    prefix = std::stoi(digits);
    if (prefix > maxPrefix) return std::nullopt;
  }
  return Cidr{std::move(*bytes), prefix};
}

bool contains(const Cidr& net, const std::vector<unsigned char>& address) {
  if (net.bytes.size() != address.size()) return false;
  int bits = net.prefix;
  for (std::size_t i = 0; i < address.size() && bits > 0; ++i, bits -= 8) {
    unsigned mask = bits >= 8 ? 0xFFu : (0xFFu << (8 - bits)) & 0xFFu;
    if ((net.bytes[i] & mask) != (address[i] & mask)) return false;
  }
  return true;
}

// Loopback, link-local (the cloud metadata services live there), "this network", and the metadata
// addresses outside those ranges (AWS IPv6, Alibaba Cloud).
const std::vector<Cidr>& refusedRanges() {
  static const std::vector<Cidr> ranges = [] {
    std::vector<Cidr> r;
    for (const char* text : {"127.0.0.0/8", "169.254.0.0/16", "0.0.0.0/8", "100.100.100.200/32", "::1/128",
                             "::/128", "fe80::/10", "fd00:ec2::254/128", "fd20:ce::254/128"})
      r.push_back(*parseCidr(text));
    return r;
  }();
  return ranges;
}

bool refusedName(const std::string& name) {
  return name == "localhost" || name.ends_with(".localhost") || name == "metadata" ||
         name == "metadata.google.internal";
}

bool validName(const std::string& name) {
  if (name.empty() || name.size() > 253) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_';
  });
}

}  // namespace

Result<EgressAllowList> EgressAllowList::parse(const std::vector<std::string>& entries) {
  EgressAllowList list;
  for (const auto& raw : entries) {
    std::string entry = normalizeHostName(raw);
    if (entry.empty()) continue;
    list.entries_.push_back(entry);
    if (entry == "*") {
      list.anyName_ = true;
    } else if (auto cidr = parseCidr(entry.front() == '[' ? entry.substr(1, entry.size() - 2) : entry)) {
      list.cidrs_.push_back(std::move(*cidr));
    } else if (entry.starts_with("*.") && validName(entry.substr(2))) {
      list.suffixes_.push_back(entry.substr(1));
    } else if (validName(entry)) {
      list.names_.push_back(entry);
    } else {
      return makeError(ErrorCode::Config, "allow-list entry \"" + escapeControl(raw) +
                                              "\" is not a host name, *.suffix, IP address or CIDR");
    }
  }
  return list;
}

std::optional<std::string> EgressAllowList::problem(std::string_view rawHost) const {
  std::string host = normalizeHostName(rawHost);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  auto shown = [&] { return quoteForMessage(rawHost, 120); };
  // Built only for a refusal: an allowed host (every reconcile of a Canary naming one) pays nothing.
  auto allowed = [this] { return " (allowed: " + describe() + ")"; };
  if (auto address = addressBytes(host)) {
    bool refused = std::any_of(refusedRanges().begin(), refusedRanges().end(),
                               [&](const Cidr& r) { return contains(r, *address); });
    for (const auto& net : cidrs_) {
      if (!contains(net, *address)) continue;
      // A refused address needs an entry inside its refused range, not a wide one that merely covers it.
      bool explicitEntry = std::any_of(refusedRanges().begin(), refusedRanges().end(), [&](const Cidr& r) {
        return contains(r, net.bytes) && net.prefix >= r.prefix;
      });
      if (!refused || explicitEntry) return std::nullopt;
    }
    if (refused)
      return shown() + " is a loopback, link-local or metadata address and is not allowed explicitly" +
             allowed();
    return shown() + " is not in the operator's allow-list" + allowed();
  }
  if (!validName(host)) return shown() + " is not a host name";
  // "127.1", "2130706433", "0x7f.1": not addresses to inet_pton (above) but to inet_aton, which the
  // resolver behind the HTTP client uses; they would reach the address they spell.
  in_addr legacy{};
  if (::inet_aton(host.c_str(), &legacy) != 0)
    return shown() + " is an IPv4 address in a non-standard notation";
  if (std::find(names_.begin(), names_.end(), host) != names_.end()) return std::nullopt;
  if (refusedName(host))
    return shown() + " is a loopback or metadata host and is not allowed explicitly" + allowed();
  if (anyName_) return std::nullopt;
  for (const auto& suffix : suffixes_) {
    if (host.ends_with(suffix)) return std::nullopt;
  }
  return shown() + " is not in the operator's allow-list" + allowed();
}

std::string EgressAllowList::describe() const {
  return listForMessage(entries_);
}

}  // namespace aviary
