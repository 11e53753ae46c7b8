// gateway/websocket_session.cpp — the reader coroutine and the writer of a player connection (see the header).
// The writer is the only one that writes, so at most one write is in flight; the outbox bound turns a slow reader
// into a disconnect instead of unbounded memory. The connection ends (on_closed) when both have finished.
#include "gateway/websocket_session.hpp"

#include <algorithm>
#include <array>
#include <utility>

namespace umpire::gateway {

namespace http = beast::http;
namespace websocket = beast::websocket;
using asio::use_awaitable;

namespace {

// Closes the socket under the corked layer (and TLS): a read or write still waiting fails, and the session ends.
template <class Stream>
void close_transport(Stream& stream) {
  beast::close_socket(beast::get_lowest_layer(stream));
}

}  // namespace

template <class NextLayer>
asio::awaitable<void> WebSocketSession<NextLayer>::run(
    std::function<std::shared_ptr<FrameHandler>(std::shared_ptr<FrameSender>)> make_handler) {
  auto self = this->shared_from_this();
  try {
    if (!co_await handshake()) co_return;
  } catch (const std::exception&) {
    co_return;  // a failed TLS or HTTP handshake: nothing was opened, nothing to tell
  }
  // The factory is called once and let go here: a parameter lives as long as the coroutine frame, and its copy of
  // the factory's captures (a heap block of about 0.3 KiB) would stay with every connection until it closed.
  handler_ = std::exchange(make_handler, nullptr)(
      std::make_shared<NonOwningSender>(std::weak_ptr<FrameSender>(self), remote_));
  handler_->on_open();
  opened_ = true;
  write_next();  // close() may have come during the handshake

  // Reads message after message until the connection fails or closing_ is set. Past max_frame_bytes the rest of a
  // message is read and dropped chunk by chunk (keep_open_on_oversized_frame) or the connection closes with 1009.
  // In this coroutine, not one of its own: an idle connection holds one coroutine frame, not two (a nested frame
  // and the awaitable that waits for it cost about 0.3 KiB per connection: 3,000 idle rooms, 17.5-17.8 -> 17.0-17.1
  // KiB per room, three runs each).
  //
  // Messages land in a small array in the coroutine frame; a larger one spills into a heap buffer. A dynamic buffer
  // (beast::flat_buffer) would not do: Beast prepares 1,536 bytes in it before the read waits, so every idle
  // connection held that much for a message that had not come. Player messages (a move, a signature) fit in the
  // array. A connection whose messages keep spilling (the devnode's JSON) keeps its heap buffer and reads straight
  // into it; the buffer is let go after a message that fits the array again.
  constexpr std::size_t kSpillStep = 4096;
  std::array<char, 256> small;
  std::string large;
  bool last_spilled = false;  // the previous message spilled: `large` is kept and read into from the start
  for (;;) {
    std::size_t size = 0;           // bytes of this message so far
    bool spilled = last_spilled;    // this message is read into `large`
    bool discarded = false;
    beast::error_code error;
    do {
      if (!spilled && size == small.size()) {
        large.assign(small.data(), size);
        spilled = true;
      }
      asio::mutable_buffer target;
      if (spilled) {
        large.resize(size + std::max(kSpillStep, size));  // geometric: a long message takes few reads
        target = asio::buffer(large.data() + size, large.size() - size);
      } else {
        target = asio::buffer(small.data() + size, small.size() - size);
      }
      std::size_t bytes = 0;
      std::tie(error, bytes) = co_await ws_.async_read_some(target, asio::as_tuple(use_awaitable));
      if (error) break;
      size += bytes;
      if (discarded || size > limits_.max_frame_bytes) {
        discarded = true;
        size = 0;
        // Closing anyway: stop reading the oversized message; the close handshake drains what is left.
        if (!limits_.keep_open_on_oversized_frame) {
          error = websocket::error::message_too_big;
          break;
        }
      }
    } while (!ws_.is_message_done());
    if (error == websocket::error::message_too_big) {
      if (!closing_) {
        handler_->on_frame_too_large();
        // send() posts to this strand: let the handler's error frame reach the outbox before it stops taking frames.
        co_await asio::post(ws_.get_executor(), use_awaitable);
      }
      closing_ = true;
      if (close_reason_.empty()) close_reason_ = "frame too large";
      break;
    }
    if (error) {
      closing_ = true;
      break;
    }
    if (!closing_ && discarded) {
      handler_->on_frame_too_large();
    } else if (!closing_) {
      handler_->on_frame(std::string_view(spilled ? large.data() : small.data(), size));
    }
    // (Not large.capacity() as the test: std::string's inline capacity is never zero.)
    last_spilled = spilled && (discarded || size > small.size());
    if (last_spilled) {
      large.clear();
    } else if (spilled) {
      std::string().swap(large);  // fitted the array after all: an idle connection should not keep the heap buffer
    }
    if (closing_) break;
  }
  reader_done_ = true;
  closing_ = true;
  write_next();  // flush what is queued, then the closing handshake (it also ends a read that still waits)
  finish_if_done();
}

template <class NextLayer>
asio::awaitable<bool> WebSocketSession<NextLayer>::handshake() {
  auto& transport = ws_.next_layer().next_layer();  // the HTTP upgrade needs no corking
  // The whole upgrade (TLS, the HTTP request, the answer) within handshake_timeout: a client that connects and then
  // says nothing, or too slowly, loses its socket. The timer ends with this coroutine frame.
  asio::steady_timer deadline(ws_.get_executor());
  deadline.expires_after(limits_.handshake_timeout);
  deadline.async_wait([self = this->shared_from_this()](beast::error_code error) {
    if (!error) close_transport(self->ws_);
  });
  if constexpr (!std::is_same_v<NextLayer, asio::ip::tcp::socket>) {
    co_await transport.async_handshake(asio::ssl::stream_base::server, use_awaitable);
  }
  beast::flat_buffer buffer;
  http::request<http::string_body> request;
  http::request_parser<http::string_body> parser;
  parser.header_limit(8 * 1024);
  parser.body_limit(0);
  co_await http::async_read(transport, buffer, parser, use_awaitable);
  request = parser.release();
  if (!websocket::is_upgrade(request) || request.target() != limits_.path) {
    http::response<http::string_body> response{http::status::not_found, request.version()};
    response.set(http::field::content_type, "text/plain");
    response.body() = "umpire: WebSocket endpoint is " + limits_.path + "\n";
    response.prepare_payload();
    response.keep_alive(false);
    co_await http::async_write(transport, response, use_awaitable);
    co_return false;
  }
  websocket::stream_base::timeout timeouts = websocket::stream_base::timeout::suggested(beast::role_type::server);
  timeouts.idle_timeout = limits_.idle_timeout;
  timeouts.keep_alive_pings = true;
  ws_.set_option(timeouts);
  // No limit inside Beast: read_or_discard enforces max_frame_bytes itself, so the error frame can be written before
  // the close (Beast would send its own 1009 close first and the error would never get out).
  ws_.read_message_max(0);
  ws_.binary(!limits_.text_frames);
  ws_.set_option(websocket::stream_base::decorator(
      [](websocket::response_type& response) { response.set(http::field::server, "umpire"); }));
  co_await ws_.async_accept(request, use_awaitable);
  deadline.cancel();
  co_return true;
}

// Starts the next write if none is in flight: the oldest queued frame, or once closing and flushed, the closing
// handshake. Every call is on the strand; completions come back to it (the socket's executor is the strand).
template <class NextLayer>
void WebSocketSession<NextLayer>::write_next() {
  if (!opened_ || writing_ || writer_done_) return;
  if (outbox_.empty()) {
    if (closing_) start_close();
    return;
  }
  // Off the queue before it is written: enqueue may clear the queue while the write is in flight (a reader too far
  // behind), and the queue counts only frames still waiting.
  in_flight_ = outbox_.front();
  outbox_.pop_front();
  writing_ = true;
  ws_.async_write(asio::buffer(*in_flight_),
                  [self = this->shared_from_this()](beast::error_code error, std::size_t) { self->on_written(error); });
}

template <class NextLayer>
void WebSocketSession<NextLayer>::on_written(beast::error_code error) {
  writing_ = false;
  in_flight_.reset();
  if (error) {
    closing_ = true;
    writer_done_ = true;
    close_transport(ws_);  // ends a read that would otherwise wait on a dead peer
    finish_if_done();
    return;
  }
  write_next();
}

// Flushed: close the WebSocket politely; this also ends a read loop that is still waiting.
template <class NextLayer>
void WebSocketSession<NextLayer>::start_close() {
  websocket::close_reason reason(websocket::close_code::normal);
  if (!close_reason_.empty()) {
    reason.code = close_reason_ == "frame too large" ? websocket::close_code::too_big : websocket::close_code::policy_error;
    reason.reason = close_reason_.substr(0, 120);
  }
  writing_ = true;
  // A peer that never answers the close: Beast gives up after its handshake timeout, here 5 s.
  websocket::stream_base::timeout timeouts;
  ws_.get_option(timeouts);
  timeouts.handshake_timeout = std::chrono::seconds(5);
  ws_.set_option(timeouts);
  ws_.async_close(reason, [self = this->shared_from_this()](beast::error_code) {
    self->writing_ = false;
    self->writer_done_ = true;
    close_transport(self->ws_);
    self->finish_if_done();
  });
}

// Both the reader and the writer are done: the connection is over; tell the handler, once.
template <class NextLayer>
void WebSocketSession<NextLayer>::finish_if_done() {
  if (!reader_done_ || !writer_done_ || closed_) return;
  closed_ = true;
  outbox_.clear();
  handler_->on_closed();
  handler_.reset();
}

template <class NextLayer>
void WebSocketSession<NextLayer>::enqueue(SharedFrame frame) {
  if (closed_ || closing_) return;
  if (outbox_.size() >= limits_.max_outbox_frames) {
    // Disconnect a reader that cannot keep up rather than drop game messages it would never know it missed.
    closing_ = true;
    close_reason_ = "too slow: outgoing queue full";
    outbox_.clear();
  } else {
    outbox_.push_back(std::move(frame));
  }
  write_next();
}

template class WebSocketSession<asio::ip::tcp::socket>;
template class WebSocketSession<beast::ssl_stream<asio::ip::tcp::socket>>;

}  // namespace umpire::gateway
