// gateway/corked_stream.hpp — a stream layer between Beast's WebSocket stream and the socket that gathers the bytes
// written in one pass of the event loop and hands them to the socket in one write (one `sendmsg`), like TCP_CORK
// but ended by the event loop rather than a timer.
//
// Why: a series game's end sends each seat several messages at once (GameOver, SeriesProgress, the next
// GameState), and the devnode answers a request with a reply and its notifications. Beast writes one message
// per write call, and each socket write is a system call that on loopback also runs the receiver's TCP path; it was
// the largest item of the relay's profile. Writing through Beast keeps Beast the only framer: its control frames
// (pongs, keep-alive pings, the close) pass through this layer in Beast's own order, so nothing can interleave.
//
// How: a write copies its bytes into `pending` and completes (posted, never inline); a flush posted to the stream's
// executor hands everything pending to one socket write. A flush that finds a write completion of this layer still
// queued waits one more turn, since that completion usually writes the next queued message. While a socket write
// is in flight, writes gather for the next one. kHighWater bytes gathered go to the socket at once; if it is still
// busy, the write's completion is held until the socket takes the bytes, so a peer that does not read still fills
// the writer's outbox (and is disconnected by it) instead of this buffer. The first failed socket write fails every
// later write.
#pragma once

#include <boost/asio.hpp>
#include <boost/asio/any_completion_handler.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket/teardown.hpp>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace umpire::gateway {

template <class Inner>
class CorkedStream {
  struct State;

 public:
  using executor_type = typename Inner::executor_type;
  using next_layer_type = Inner;

  // Bytes waiting past which a write's completion waits for the socket.
  static constexpr std::size_t kHighWater = 16 * 1024;
  // Turns a flush waits at most for the layer above to write again (a long burst still goes out in pieces).
  static constexpr unsigned kMaxDeferrals = 8;

  template <class... Args>
  explicit CorkedStream(Args&&... args) : state_(std::make_shared<State>(std::forward<Args>(args)...)) {}

  executor_type get_executor() noexcept { return state_->inner.get_executor(); }
  Inner& next_layer() noexcept { return state_->inner; }
  const Inner& next_layer() const noexcept { return state_->inner; }

  template <class MutableBuffers, class Token>
  auto async_read_some(const MutableBuffers& buffers, Token&& token) {
    return state_->inner.async_read_some(buffers, std::forward<Token>(token));
  }

  template <class ConstBuffers, class Token>
  auto async_write_some(const ConstBuffers& buffers, Token&& token) {
    return boost::asio::async_initiate<Token, void(boost::beast::error_code, std::size_t)>(
        [](auto handler, std::shared_ptr<State> state, const ConstBuffers& buffers) {
          State::write(state, buffers, std::move(handler));
        },
        token, state_, buffers);
  }

  // Completes once every byte written so far is handed to the socket (or a socket write failed). Teardown uses it.
  template <class Token>
  auto async_flush(Token&& token) {
    return boost::asio::async_initiate<Token, void(boost::beast::error_code)>(
        [](auto handler, std::shared_ptr<State> state) { State::when_flushed(state, std::move(handler)); }, token,
        state_);
  }

  // What the layer holds now (tests and benchmarks).
  std::size_t pending_bytes() const { return state_->pending.size(); }
  std::uint64_t socket_writes() const { return state_->socket_writes; }

 private:
  using WriteHandler = boost::asio::any_completion_handler<void(boost::beast::error_code, std::size_t)>;
  using FlushHandler = boost::asio::any_completion_handler<void(boost::beast::error_code)>;

  // Shared with the posted flush and the socket write, so that bytes written just before the owner goes away (an
  // HTTP error answer, a close frame) still go out, and the socket lives until they have.
  struct State : std::enable_shared_from_this<State> {
    template <class... Args>
    explicit State(Args&&... args) : inner(std::forward<Args>(args)...) {}

    Inner inner;
    std::string pending;            // written by the layer above, not yet handed to the socket
    std::string sending;            // the bytes of the socket write in flight
    bool socket_busy = false;       // a socket write is in flight
    bool flush_posted = false;
    unsigned deferrals = 0;         // turns the posted flush has waited for the layer above
    unsigned completions_queued = 0;  // write completions posted to the layer above that have not run yet
    boost::beast::error_code error;   // the first failed socket write
    std::optional<std::pair<WriteHandler, std::size_t>> held;  // a write past kHighWater (Beast writes one at a time)
    std::vector<FlushHandler> flush_waiters;
    std::uint64_t socket_writes = 0;

    template <class Buffers, class Handler>
    static void write(const std::shared_ptr<State>& self, const Buffers& buffers, Handler handler) {
      const std::size_t size = boost::asio::buffer_size(buffers);
      if (self->error) return complete(self, std::move(handler), self->error, 0);
      const std::size_t old_size = self->pending.size();
      self->pending.resize(old_size + size);
      boost::asio::buffer_copy(boost::asio::buffer(self->pending.data() + old_size, size), buffers);
      if (self->pending.size() >= kHighWater) {
        if (!self->socket_busy) {
          self->start_send();  // enough gathered: no reason to wait for the rest of the pass
        } else {
          self->held.emplace(WriteHandler(std::move(handler)), size);  // completed when the socket takes its bytes
          return;
        }
      }
      self->schedule_flush();
      complete(self, std::move(handler), {}, size);
    }

    template <class Handler>
    static void when_flushed(const std::shared_ptr<State>& self, Handler handler) {
      if (!self->socket_busy && self->pending.empty()) {
        auto error = self->error;
        boost::asio::post(self->inner.get_executor(), boost::beast::bind_front_handler(std::move(handler), error));
        return;
      }
      self->flush_waiters.emplace_back(std::move(handler));
      self->schedule_flush();
    }

    // Posted, never inline (an initiating function must not call its handler), and counted: a flush that finds a
    // completion still queued waits for it.
    template <class Handler>
    static void complete(const std::shared_ptr<State>& self, Handler handler, boost::beast::error_code error,
                         std::size_t size) {
      ++self->completions_queued;
      auto executor = boost::asio::get_associated_executor(handler, self->inner.get_executor());
      boost::asio::post(self->inner.get_executor(),
                        [self, executor, handler = std::move(handler), error, size]() mutable {
                          --self->completions_queued;
                          boost::asio::dispatch(executor, boost::beast::bind_front_handler(std::move(handler), error,
                                                                                           size));
                        });
    }

    void schedule_flush() {
      if (flush_posted || socket_busy) return;  // a socket write in flight flushes what came meanwhile when it ends
      flush_posted = true;
      boost::asio::post(inner.get_executor(), [self = this->shared_from_this()] { self->flush(); });
    }

    void flush() {
      flush_posted = false;
      if (socket_busy) return;
      if (pending.empty()) return finish_flush();
      if (completions_queued > 0 && deferrals < kMaxDeferrals && !error) {
        ++deferrals;
        return schedule_flush();
      }
      start_send();
    }

    void start_send() {
      deferrals = 0;
      sending.swap(pending);
      socket_busy = true;
      ++socket_writes;
      boost::asio::async_write(inner, boost::asio::buffer(sending),
                               [self = this->shared_from_this()](boost::beast::error_code error, std::size_t) {
                                 self->on_sent(error);
                               });
    }

    void on_sent(boost::beast::error_code sent_error) {
      socket_busy = false;
      std::string().swap(sending);  // an idle connection keeps no buffer
      if (sent_error && !error) {
        error = sent_error;
        // As a failed write did before this layer: close the socket, so that a read waiting on a dead peer ends.
        boost::beast::close_socket(boost::beast::get_lowest_layer(inner));
      }
      if (error) pending.clear();
      if (held) {
        auto [handler, size] = std::move(*held);
        held.reset();
        std::move(handler)(error, error ? 0 : size);
      }
      // Gathered while the socket was busy: the socket is free now (unless the held write's completion, which may
      // write again, already started the next send).
      if (!pending.empty() && !socket_busy) return start_send();
      finish_flush();
    }

    void finish_flush() {
      if (socket_busy || !pending.empty()) return;
      auto waiters = std::move(flush_waiters);
      flush_waiters.clear();
      for (auto& waiter : waiters) std::move(waiter)(error);
    }
  };

  std::shared_ptr<State> state_;
};

// Beast's WebSocket close ends with a teardown of the next layer: send what is gathered, then tear down the socket.
template <class Inner, class TeardownHandler>
void async_teardown(boost::beast::role_type role, CorkedStream<Inner>& stream, TeardownHandler&& handler) {
  stream.async_flush([&inner = stream.next_layer(), role,
                      handler = std::forward<TeardownHandler>(handler)](boost::beast::error_code) mutable {
    using boost::beast::websocket::async_teardown;
    async_teardown(role, inner, std::move(handler));
  });
}

// No synchronous teardown: Umpire closes asynchronously, and a synchronous close of this layer would fail to compile
// (Beast's "Unknown Socket type") rather than drop gathered bytes.

}  // namespace umpire::gateway
