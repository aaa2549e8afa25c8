#include "operator/core/deadline_timer.h"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <thread>

namespace aviary {
namespace asio = boost::asio;

struct DeadlineTimer::Impl {
  asio::io_context context;
  asio::executor_work_guard<asio::io_context::executor_type> work = asio::make_work_guard(context);
  std::thread thread{[this] { context.run(); }};
};

namespace {

class AsioPending : public DeadlineTimer::Pending, public std::enable_shared_from_this<AsioPending> {
 public:
  explicit AsioPending(asio::io_context& context) : context_(context), timer_(context) {}
  asio::steady_timer& timer() { return timer_; }
  // steady_timer is not thread-safe: the cancel runs on the timer's own thread, after the scheduling
  // (one thread runs posted work in order).
  void cancel() override {
    asio::post(context_, [self = shared_from_this()] { self->timer_.cancel(); });
  }

 private:
  asio::io_context& context_;
  asio::steady_timer timer_;
};

}  // namespace

DeadlineTimer::DeadlineTimer() : impl_(std::make_unique<Impl>()) {
  impl_->thread.detach();  // the shared timer lives as long as the process
}

DeadlineTimer& DeadlineTimer::shared() {
  static DeadlineTimer* timer = new DeadlineTimer();  // never destroyed: callbacks may run at exit
  return *timer;
}

std::shared_ptr<DeadlineTimer::Pending> DeadlineTimer::schedule(std::chrono::milliseconds after,
                                                                std::function<void()> expire) {
  auto pending = std::make_shared<AsioPending>(impl_->context);
  asio::post(impl_->context, [pending, after, expire = std::move(expire)]() mutable {
    pending->timer().expires_after(after);
    pending->timer().async_wait([pending, expire = std::move(expire)](const boost::system::error_code& ec) {
      if (!ec) expire();
    });
  });
  return pending;
}

}  // namespace aviary
