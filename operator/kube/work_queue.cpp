#include "operator/kube/work_queue.h"

namespace aviary::kube {

WorkQueue::WorkQueue(std::chrono::milliseconds baseBackoff, std::chrono::milliseconds maxBackoff)
    : backoff_(baseBackoff, maxBackoff) {}

WorkQueue::~WorkQueue() {
  shutDown();
}

void WorkQueue::addLocked(const std::string& key, Clock::time_point readySince) {
  if (shuttingDown_ || dirty_.count(key)) return;
  dirty_.insert(key);
  if (processing_.count(key)) return;  // done() queues it again
  queue_.emplace_back(key, readySince);
  ready_.notify_one();
}

void WorkQueue::add(const std::string& key) {
  std::lock_guard lock(mutex_);
  addLocked(key, Clock::now());
}

void WorkQueue::addAfter(const std::string& key, std::chrono::milliseconds delay) {
  if (delay.count() <= 0) return add(key);
  std::lock_guard lock(mutex_);
  if (shuttingDown_) return;
  auto when = Clock::now() + delay;
  auto it = due_.find(key);
  if (it != due_.end() && it->second <= when) return;  // never move a key later
  due_[key] = when;
  timers_.emplace(when, key);
  // Waiting workers must recompute how long to sleep.
  ready_.notify_all();
}

void WorkQueue::addRateLimited(const std::string& key) {
  addAfter(key, backoff_.when(key));
}

void WorkQueue::forget(const std::string& key) {
  backoff_.forget(key);
}

void WorkQueue::promoteDueLocked(Clock::time_point now) {
  while (!timers_.empty() && timers_.top().first <= now) {
    Timed top = timers_.top();
    timers_.pop();
    auto it = due_.find(top.second);
    if (it == due_.end() || it->second != top.first) continue;  // superseded by an earlier time
    due_.erase(it);
    addLocked(top.second, top.first);
  }
}

std::optional<std::string> WorkQueue::get() {
  std::unique_lock lock(mutex_);
  while (true) {
    const auto now = Clock::now();
    if (!shuttingDown_) promoteDueLocked(now);
    if (!queue_.empty()) {
      auto [key, readySince] = std::move(queue_.front());
      queue_.pop_front();
      dirty_.erase(key);
      processing_.insert(key);
      lock.unlock();
      if (waitObserver_) waitObserver_(std::max(Clock::duration::zero(), now - readySince));
      return key;
    }
    if (shuttingDown_) return std::nullopt;
    if (timers_.empty()) {
      ready_.wait(lock);
    } else {
      // A copy: wait_until reads its deadline again after waking, and an addAfter() meanwhile may have
      // reallocated the heap under a reference (a use-after-free found by `make asan`).
      const Clock::time_point due = timers_.top().first;
      ready_.wait_until(lock, due);
    }
  }
}

void WorkQueue::done(const std::string& key) {
  std::lock_guard lock(mutex_);
  processing_.erase(key);
  if (dirty_.count(key)) {
    queue_.emplace_back(key, Clock::now());
    ready_.notify_one();
  }
}

void WorkQueue::shutDown() {
  std::lock_guard lock(mutex_);
  shuttingDown_ = true;
  ready_.notify_all();
}

bool WorkQueue::shuttingDown() const {
  std::lock_guard lock(mutex_);
  return shuttingDown_;
}

std::size_t WorkQueue::length() const {
  std::lock_guard lock(mutex_);
  return queue_.size();
}

std::size_t WorkQueue::delayedCount() const {
  std::lock_guard lock(mutex_);
  return due_.size();
}

}  // namespace aviary::kube
