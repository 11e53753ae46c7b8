// bench/ws_outbox.hpp — the write queue of one WebSocket in the relay-floor programs. Beast allows one write in
// flight per stream, and a seat can be sent a frame while its previous one is still being written, so frames
// queue here and go out one after the other. Single-threaded use only (the floor programs run one io_context
// thread). The caller passes a keep-alive owner of the stream with each send, so a pending write never outlives it.
#pragma once

#include <boost/asio/buffer.hpp>
#include <boost/system/error_code.hpp>
#include <deque>
#include <memory>
#include <string>

namespace umpire::bench {

template <class Stream>
class WsOutbox {
 public:
  explicit WsOutbox(Stream& stream) : stream_(stream) {}

  void send(std::shared_ptr<const std::string> frame, std::shared_ptr<void> keep_alive) {
    queue_.push_back(std::move(frame));
    if (!writing_) write_next(std::move(keep_alive));
  }

 private:
  void write_next(std::shared_ptr<void> keep_alive) {
    if (queue_.empty()) {
      writing_ = false;
      return;
    }
    writing_ = true;
    auto frame = queue_.front();
    stream_.async_write(boost::asio::buffer(*frame),
                        [this, frame, keep_alive](const boost::system::error_code& error, std::size_t) mutable {
                          queue_.pop_front();
                          if (error) {
                            queue_.clear();
                            writing_ = false;
                            return;
                          }
                          write_next(std::move(keep_alive));
                        });
  }

  Stream& stream_;
  std::deque<std::shared_ptr<const std::string>> queue_;
  bool writing_ = false;
};

}  // namespace umpire::bench
