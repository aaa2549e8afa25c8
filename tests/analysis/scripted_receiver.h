// A local HTTP receiver for the webhook and alert tests: answers from a script (status, body, delay) and
// records what it was sent. The last scripted answer repeats.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "operator/http/http_server.h"

namespace aviary::analysis {

struct ScriptedAnswer {
  int status = 200;
  std::string body;
  std::chrono::milliseconds delay{0};
  http::HeaderList headers;
};

class ScriptedReceiver {
 public:
  explicit ScriptedReceiver(std::vector<ScriptedAnswer> script, http::ServerOptions options = {})
      : script_(script.begin(), script.end()),
        server_(std::move(options), [this](const http::Request& r, http::ResponseWriter& w) {
          ScriptedAnswer answer;
          {
            std::lock_guard lock(mutex_);
            received_.push_back(r);
            answer = script_.front();
            if (script_.size() > 1) script_.pop_front();
          }
          if (answer.delay.count() > 0) std::this_thread::sleep_for(answer.delay);
          w.send(answer.status, "text/plain", answer.body, answer.headers);
        }) {
    EXPECT_TRUE(server_.start());
  }
  std::string url(const std::string& path = "/hook") const { return server_.baseUrl() + path; }
  std::vector<http::Request> received() const {
    std::lock_guard lock(mutex_);
    return received_;
  }

 private:
  mutable std::mutex mutex_;
  std::deque<ScriptedAnswer> script_;
  std::vector<http::Request> received_;
  http::HttpServer server_;
};

}  // namespace aviary::analysis
