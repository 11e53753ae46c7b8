// gateway/websocket_session.cpp — the reader/writer coroutines of a player connection (see the header).
// The writer is the only one that writes, so at most one write is in flight; the outbox bound turns a slow reader
// into a disconnect instead of unbounded memory.
#include "gateway/websocket_session.hpp"

#include <boost/asio/experimental/awaitable_operators.hpp>

namespace umpire::gateway {

namespace http = beast::http;
namespace websocket = beast::websocket;
using asio::use_awaitable;
using namespace asio::experimental::awaitable_operators;

namespace {

template <class NextLayer>
auto& tcp_layer(NextLayer& layer) {
  if constexpr (std::is_same_v<NextLayer, beast::tcp_stream>) {
    return layer;
  } else {
    return beast::get_lowest_layer(layer);
  }
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
  handler_ = make_handler(std::make_shared<NonOwningSender>(std::weak_ptr<FrameSender>(self), remote_));
  handler_->on_open();
  co_await (read_loop() && write_loop());
  closed_ = true;
  outbox_.clear();
  handler_->on_closed();
  handler_.reset();
}

template <class NextLayer>
asio::awaitable<bool> WebSocketSession<NextLayer>::handshake() {
  auto& tcp = tcp_layer(ws_.next_layer());
  tcp.expires_after(limits_.handshake_timeout);
  if constexpr (!std::is_same_v<NextLayer, beast::tcp_stream>) {
    co_await ws_.next_layer().async_handshake(asio::ssl::stream_base::server, use_awaitable);
  }
  beast::flat_buffer buffer;
  http::request<http::string_body> request;
  http::request_parser<http::string_body> parser;
  parser.header_limit(8 * 1024);
  parser.body_limit(0);
  co_await http::async_read(ws_.next_layer(), buffer, parser, use_awaitable);
  request = parser.release();
  if (!websocket::is_upgrade(request) || request.target() != limits_.path) {
    http::response<http::string_body> response{http::status::not_found, request.version()};
    response.set(http::field::content_type, "text/plain");
    response.body() = "umpire: WebSocket endpoint is " + limits_.path + "\n";
    response.prepare_payload();
    response.keep_alive(false);
    co_await http::async_write(ws_.next_layer(), response, use_awaitable);
    co_return false;
  }
  tcp.expires_never();
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
  co_return true;
}

// One message into `buffer`; past max_frame_bytes the rest is read and dropped chunk by chunk. True: discarded.
template <class NextLayer>
asio::awaitable<std::tuple<beast::error_code, bool>> WebSocketSession<NextLayer>::read_or_discard(beast::flat_buffer& buffer) {
  constexpr std::size_t kChunk = 64 * 1024;
  bool discarded = false;
  do {
    auto [error, bytes] = co_await ws_.async_read_some(buffer, kChunk, asio::as_tuple(use_awaitable));
    (void)bytes;
    if (error) co_return std::make_tuple(error, discarded);
    if (discarded || buffer.size() > limits_.max_frame_bytes) {
      discarded = true;
      buffer.clear();
      // Closing anyway: stop reading the oversized message; the close handshake drains what is left.
      if (!limits_.keep_open_on_oversized_frame) co_return std::make_tuple(beast::error_code(websocket::error::message_too_big), true);
    }
  } while (!ws_.is_message_done());
  co_return std::make_tuple(beast::error_code(), discarded);
}

template <class NextLayer>
asio::awaitable<void> WebSocketSession<NextLayer>::read_loop() {
  beast::flat_buffer buffer;
  for (;;) {
    beast::error_code error;
    bool discarded = false;
    std::tie(error, discarded) = co_await read_or_discard(buffer);
    if (error == websocket::error::message_too_big) {
      if (!closing_) {
        handler_->on_frame_too_large();
        // send() posts to this strand: let the handler's error frame reach the outbox before it stops taking frames.
        co_await asio::post(ws_.get_executor(), use_awaitable);
      }
      closing_ = true;
      if (close_reason_.empty()) close_reason_ = "frame too large";
      wake_writer_.cancel();
      co_return;
    }
    if (error) {
      closing_ = true;
      wake_writer_.cancel();
      co_return;
    }
    if (!closing_ && discarded) {
      handler_->on_frame_too_large();
    } else if (!closing_) {
      const auto data = buffer.cdata();
      handler_->on_frame(std::string_view(static_cast<const char*>(data.data()), data.size()));
    }
    buffer.clear();
    if (closing_) co_return;
  }
}

template <class NextLayer>
asio::awaitable<void> WebSocketSession<NextLayer>::write_loop() {
  for (;;) {
    while (!outbox_.empty()) {
      // Off the queue before it is written (the copy keeps its bytes alive): enqueue may clear the queue while the
      // write is in flight (a reader too far behind), and the queue counts only frames still waiting.
      const SharedFrame frame = outbox_.front();
      outbox_.pop_front();
      auto [error, written] = co_await ws_.async_write(asio::buffer(*frame), asio::as_tuple(use_awaitable));
      (void)written;
      if (error) {
        closing_ = true;
        tcp_layer(ws_.next_layer()).close();  // ends a read that would otherwise wait on a dead peer
        co_return;
      }
    }
    if (closing_) break;
    wake_writer_.expires_at(asio::steady_timer::time_point::max());
    writer_asleep_ = true;
    co_await wake_writer_.async_wait(asio::as_tuple(use_awaitable));
    writer_asleep_ = false;
  }
  // Flushed: close the WebSocket politely; this also ends a read loop that is still waiting.
  websocket::close_reason reason(websocket::close_code::normal);
  if (!close_reason_.empty()) {
    reason.code = close_reason_ == "frame too large" ? websocket::close_code::too_big : websocket::close_code::policy_error;
    reason.reason = close_reason_.substr(0, 120);
  }
  tcp_layer(ws_.next_layer()).expires_after(std::chrono::seconds(5));
  co_await ws_.async_close(reason, asio::as_tuple(use_awaitable));
  tcp_layer(ws_.next_layer()).close();
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
  // Only a sleeping writer needs waking: one that is writing looks at the outbox again before it sleeps. (Waking it
  // anyway cost a timer cancellation and a scheduler round trip for every frame queued behind another.)
  if (writer_asleep_) wake_writer_.cancel();
}

template class WebSocketSession<beast::tcp_stream>;
template class WebSocketSession<beast::ssl_stream<beast::tcp_stream>>;

}  // namespace umpire::gateway
