#include "operator/controller/routes_memo.h"

#include <utility>

namespace aviary::controller {

RoutesMemo::RoutesMemo(std::chrono::milliseconds maxAge, std::function<Clock::time_point()> now)
    : maxAge_(maxAge), now_(std::move(now)) {}

std::optional<RoutesMemo::Ticket> RoutesMemo::check(const std::string& key, RoutedState state) {
  const auto now = now_();
  std::lock_guard lock(mutex_);
  auto [it, added] = entries_.try_emplace(key);
  auto& entry = it->second;
  if (added) entry.epoch = ++epochs_;
  if (entry.routed && *entry.routed == state && now - entry.at < maxAge_) return std::nullopt;
  return Ticket{std::move(state), entry.epoch, now};
}

void RoutesMemo::remember(const std::string& key, Ticket ticket) {
  std::lock_guard lock(mutex_);
  auto entry = entries_.find(key);
  if (entry == entries_.end() || entry->second.epoch != ticket.epoch) return;
  entry->second.routed = std::move(ticket.state);
  // The age counts from before the router's reads: what it saw is at least that old.
  entry->second.at = ticket.at;
}

void RoutesMemo::invalidate(const std::string& key) {
  std::lock_guard lock(mutex_);
  auto entry = entries_.find(key);
  if (entry == entries_.end()) return;  // no ticket was taken: nothing to void
  entry->second.routed.reset();
  entry->second.epoch = ++epochs_;
}

void RoutesMemo::forget(const std::string& key) {
  std::lock_guard lock(mutex_);
  entries_.erase(key);
}

}  // namespace aviary::controller
