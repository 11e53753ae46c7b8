// gateway/websocket_session.hpp — one WebSocket connection through Beast's stream: owns the socket, its strand, the
// HTTP upgrade (path check), a reader coroutine and an on-demand writer with a bounded outbox. Knows nothing of the
// protocol: frames go to a FrameHandler; frames come in through send(). Serves TLS connections and the devnode
// (text frames, staying open past an oversized frame); plain player connections use LeanWebSocketSession, which
// holds a fifth of the memory. Beast writes through a CorkedStream, so the messages of one event-loop pass leave in
// one socket write. Also the interfaces both sessions share (FrameHandler, FrameSender, FrameQueue, SessionLimits).
#pragma once

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "gateway/corked_stream.hpp"

namespace umpire::gateway {

namespace asio = boost::asio;
namespace beast = boost::beast;

using SharedFrame = std::shared_ptr<const std::string>;  // one serialized message, shared by all its recipients

struct SessionLimits {
  std::size_t max_frame_bytes = 16 * 1024;   // larger incoming frames close the connection (1009)
  std::size_t max_outbox_frames = 1024;      // a reader this far behind is disconnected, never silently skipped
  std::chrono::seconds handshake_timeout{10};
  std::chrono::seconds idle_timeout{90};     // no frame from the client (pings included) for this long: close
  std::string path = "/play";
  bool text_frames = false;  // write text frames instead of binary (the ClearNode emulator must, like the node)
  // Instead of closing with 1009, read an oversized frame to its end, discarding it (memory stays within the limit),
  // tell the handler (on_frame_too_large) and keep the connection open: the ClearNode emulator answers an error.
  bool keep_open_on_oversized_frame = false;
};

// The protocol side of a connection. Every call arrives on the connection's strand, one at a time.
class FrameHandler {
 public:
  virtual ~FrameHandler() = default;
  virtual void on_open() = 0;
  virtual void on_frame(std::string_view bytes) = 0;
  // An oversized frame: called before the connection closes (or, with keep_open_on_oversized_frame, instead).
  virtual void on_frame_too_large() = 0;
  virtual void on_closed() = 0;
};

// What the rest of Umpire holds to talk to a connection. Thread-safe; frames sent after close are dropped.
class FrameSender {
 public:
  virtual ~FrameSender() = default;
  virtual void send(SharedFrame frame) = 0;
  // Flushes what is queued (so a final error reaches the client), then closes with `reason`.
  virtual void close(std::string reason) = 0;
  // Drops the connection at once, without the closing handshake (a peer that never answers one).
  virtual void abort() = 0;
  virtual const std::string& remote_endpoint() const = 0;
};

// What a FrameHandler is given: forwards to the session without owning it. The session is owned by its own
// coroutine alone, so a handler (or anything it hands the sender to, such as the referee) can never keep a finished
// connection alive, and stopping the event loop cannot leave a session <-> handler cycle behind.
class NonOwningSender final : public FrameSender {
 public:
  NonOwningSender(std::weak_ptr<FrameSender> target, std::string remote)
      : target_(std::move(target)), remote_(std::move(remote)) {}
  void send(SharedFrame frame) override {
    if (auto target = target_.lock()) target->send(std::move(frame));
  }
  void close(std::string reason) override {
    if (auto target = target_.lock()) target->close(std::move(reason));
  }
  void abort() override {
    if (auto target = target_.lock()) target->abort();
  }
  const std::string& remote_endpoint() const override { return remote_; }

 private:
  std::weak_ptr<FrameSender> target_;
  std::string remote_;
};

// A connection's outbox: a vector used as a queue. std::deque allocates a 512-byte block when it is constructed,
// for every connection, idle or not; this allocates at the first frame and keeps what the largest burst needed.
class FrameQueue {
 public:
  bool empty() const { return head_ == frames_.size(); }
  std::size_t size() const { return frames_.size() - head_; }
  const SharedFrame& front() const { return frames_[head_]; }
  void push_back(SharedFrame frame) {
    // A writer that never quite catches up never empties the queue: drop the consumed prefix now and then, so the
    // vector holds at most about twice what is waiting (amortized constant per frame).
    if (head_ >= 64 && head_ * 2 >= frames_.size()) {
      frames_.erase(frames_.begin(), frames_.begin() + static_cast<std::ptrdiff_t>(head_));
      head_ = 0;
    }
    frames_.push_back(std::move(frame));
  }
  void pop_front() {
    frames_[head_].reset();
    if (++head_ == frames_.size()) clear();
  }
  void clear() {
    frames_.clear();  // keeps the capacity: the next burst allocates nothing
    head_ = 0;
  }
  std::size_t capacity() const { return frames_.capacity(); }

 private:
  std::vector<SharedFrame> frames_;
  std::size_t head_ = 0;  // frames_[0, head_) are sent (and reset)
};

template <class NextLayer>
class WebSocketSession final : public FrameSender, public std::enable_shared_from_this<WebSocketSession<NextLayer>> {
 public:
  WebSocketSession(NextLayer next_layer, const SessionLimits& limits, std::string remote)
      : ws_(std::move(next_layer)), limits_(limits), remote_(std::move(remote)) {}

  // Runs the connection to its end on the socket's strand. `make_handler` is called once the upgrade succeeded.
  // `connection_ticket`, if any, is held as long as this session lives (the listener counts open connections by it).
  void start(std::function<std::shared_ptr<FrameHandler>(std::shared_ptr<FrameSender>)> make_handler,
             std::shared_ptr<void> connection_ticket = nullptr) {
    connection_ticket_ = std::move(connection_ticket);
    asio::co_spawn(ws_.get_executor(), run(std::move(make_handler)), asio::detached);
  }

  void send(SharedFrame frame) override {
    asio::post(ws_.get_executor(), [self = this->shared_from_this(), frame = std::move(frame)]() mutable {
      self->enqueue(std::move(frame));
    });
  }

  void close(std::string reason) override {
    asio::post(ws_.get_executor(), [self = this->shared_from_this(), reason = std::move(reason)]() mutable {
      if (self->closing_) return;
      self->closing_ = true;
      self->close_reason_ = std::move(reason);
      self->write_next();
    });
  }

  void abort() override {
    asio::post(ws_.get_executor(), [self = this->shared_from_this()] {
      beast::close_socket(beast::get_lowest_layer(self->ws_));  // the reader fails and the session ends
    });
  }

  const std::string& remote_endpoint() const override { return remote_; }

 private:
  asio::awaitable<void> run(std::function<std::shared_ptr<FrameHandler>(std::shared_ptr<FrameSender>)> make_handler);
  asio::awaitable<bool> handshake();
  void enqueue(SharedFrame frame);
  // The writer is a chain of completion handlers, not a coroutine: an idle connection holds no writer frame, no
  // wake-up timer and its wait, no parallel group with the reader (together about 3.5 KiB per connection, measured),
  // and a frame queued to an idle writer is written at once, without a wake-up.
  void write_next();
  void on_written(beast::error_code error);
  void start_close();
  void finish_if_done();

  beast::websocket::stream<CorkedStream<NextLayer>> ws_;
  SessionLimits limits_;
  std::string remote_;
  std::shared_ptr<FrameHandler> handler_;
  FrameQueue outbox_;                 // frames waiting for the writer, oldest first
  SharedFrame in_flight_;             // the frame being written (keeps its bytes alive)
  bool opened_ = false;               // the upgrade succeeded and the handler exists: the writer may write
  bool writing_ = false;              // a write or the closing handshake is in flight
  bool writer_done_ = false;          // the writer will write nothing more (closed politely, or a write failed)
  bool reader_done_ = false;          // the read loop has ended
  bool closing_ = false;              // no more reads are dispatched; the writer flushes then closes
  bool closed_ = false;               // the socket is done; sends are dropped
  std::string close_reason_;
  std::shared_ptr<void> connection_ticket_;  // see start()
};

// A bare socket under it, not beast::tcp_stream: that one's two timers cost about 0.5 KiB per connection (measured with
// mallinfo2 over 10,000), and the session needs a deadline only for the upgrade (a timer of its own) and the closing
// handshake (Beast's own timeout).
using PlainSession = WebSocketSession<asio::ip::tcp::socket>;
using TlsSession = WebSocketSession<beast::ssl_stream<asio::ip::tcp::socket>>;

extern template class WebSocketSession<asio::ip::tcp::socket>;
extern template class WebSocketSession<beast::ssl_stream<asio::ip::tcp::socket>>;

}  // namespace umpire::gateway
