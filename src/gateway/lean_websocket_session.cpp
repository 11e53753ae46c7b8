// gateway/lean_websocket_session.cpp — see the header. The connection's life:
//   upgrade (a coroutine, gone once the connection is open) -> open: a read chain and a write chain, keep-alive
//   ticks from the listener
//   -> closing: ours (close frame after the queued messages, then the peer's close or 5 s), the peer's (answered at
//      once), or a failure (close frame, then half-close and drain to the peer's EOF, so the kernel does not answer
//      unread bytes with a reset that could discard our close frame before the client reads it)
//   -> closed: the reader saw the socket end and the writer will write nothing more; the handler is told once.
#include "gateway/lean_websocket_session.hpp"

#include <boost/beast/http.hpp>
#include <boost/beast/websocket/rfc6455.hpp>

namespace umpire::gateway {

namespace http = beast::http;

namespace {

constexpr std::uint8_t kBinaryOpcode = 0x2;
constexpr std::uint8_t kCloseOpcode = 0x8;
constexpr std::uint8_t kPingOpcode = 0x9;
constexpr std::uint8_t kPongOpcode = 0xA;
constexpr std::size_t kGatherBytes = 64 * 1024;          // one socket write carries at most about this much
constexpr std::size_t kKeptSendCapacity = 16 * 1024;     // a larger write buffer is let go once written
constexpr std::chrono::seconds kCloseWait{5};            // for the peer's close frame, or its EOF after a failure

}  // namespace

LeanWebSocketSession::LeanWebSocketSession(asio::ip::tcp::socket socket, std::shared_ptr<const SessionLimits> limits,
                                           std::string remote)
    : socket_(std::move(socket)),
      limits_(std::move(limits)),
      remote_(std::move(remote)),
      parser_(limits_->max_frame_bytes) {}

void LeanWebSocketSession::start(HandlerFactory make_handler, std::shared_ptr<void> connection_ticket) {
  connection_ticket_ = std::move(connection_ticket);
  asio::co_spawn(socket_.get_executor(), upgrade(std::move(make_handler)), asio::detached);
}

void LeanWebSocketSession::send(SharedFrame frame) {
  asio::post(socket_.get_executor(), [self = shared_from_this(), frame = std::move(frame)]() mutable {
    self->enqueue(std::move(frame));
  });
}

void LeanWebSocketSession::close(std::string reason) {
  asio::post(socket_.get_executor(), [self = shared_from_this(), reason = std::move(reason)] {
    if (self->closing_) return;
    const CloseCode code = reason.empty()                ? CloseCode::normal
                           : reason == "frame too large" ? CloseCode::too_big
                                                         : CloseCode::policy_violation;
    self->begin_close(code, reason, /*wait_for_peer=*/true);
  });
}

void LeanWebSocketSession::abort() {
  asio::post(socket_.get_executor(), [self = shared_from_this()] { self->close_socket(); });
}

// The HTTP upgrade, parsed by Beast; the answer and its Sec-WebSocket-Accept are ours. Within handshake_timeout.
asio::awaitable<void> LeanWebSocketSession::upgrade(HandlerFactory make_handler) {
  auto self = shared_from_this();
  start_deadline(limits_->handshake_timeout);  // the whole upgrade within it
  beast::flat_buffer buffer;
  http::request_parser<http::string_body> parser;
  parser.header_limit(8 * 1024);
  parser.body_limit(0);
  auto [read_error, read_bytes] = co_await http::async_read(socket_, buffer, parser, asio::as_tuple(asio::use_awaitable));
  if (read_error) {
    deadline_.reset();
    close_socket();
    co_return;
  }
  const auto& request = parser.get();
  http::response<http::string_body> response;
  response.version(request.version());
  response.set(http::field::server, "umpire");
  std::string accept_key;
  if (!beast::websocket::is_upgrade(request) || request.target() != limits_->path) {
    response.result(http::status::not_found);
    response.set(http::field::content_type, "text/plain");
    response.body() = "umpire: WebSocket endpoint is " + limits_->path + "\n";
  } else if (request[http::field::sec_websocket_version] != "13") {
    response.result(http::status::upgrade_required);
    response.set(http::field::sec_websocket_version, "13");
  } else if ((accept_key = websocket_accept_key(request[http::field::sec_websocket_key])).empty()) {
    response.result(http::status::bad_request);
    response.set(http::field::content_type, "text/plain");
    response.body() = "umpire: bad Sec-WebSocket-Key\n";
  } else {
    response.result(http::status::switching_protocols);
    response.set(http::field::upgrade, "websocket");
    response.set(http::field::connection, "upgrade");
    response.set(http::field::sec_websocket_accept, accept_key);
  }
  const bool upgrading = response.result() == http::status::switching_protocols;
  if (!upgrading) {
    response.keep_alive(false);
    response.prepare_payload();
  }
  auto [write_error, written] = co_await http::async_write(socket_, response, asio::as_tuple(asio::use_awaitable));
  if (write_error || !upgrading) {
    deadline_.reset();
    close_socket();
    co_return;
  }
  // Bytes the client sent after its request (its first frames) are in the buffer already.
  const auto early = buffer.cdata();
  opened(std::move(make_handler), std::string_view(static_cast<const char*>(early.data()), early.size()));
}

void LeanWebSocketSession::opened(HandlerFactory make_handler, std::string_view early_bytes) {
  // The factory is called once and let go: its captures should not stay with every connection.
  handler_ = std::exchange(make_handler, nullptr)(
      std::make_shared<NonOwningSender>(std::weak_ptr<FrameSender>(shared_from_this()), remote_));
  handler_->on_open();
  opened_ = true;
  heard_from_peer_ = true;
  deadline_.reset();  // upgraded in time; keep-alive comes from the listener's ticks from here
  if (!early_bytes.empty()) {
    std::string early(early_bytes);
    std::size_t pos = 0;
    while (pos < early.size() && !draining_) {
      const auto result = parser_.parse(early.data() + pos, early.size() - pos);
      pos += result.consumed;
      handle(result);
      if (result.event == ClientFrameParser::Event::need_more) break;
    }
  }
  parser_.release_delivered();
  schedule_flush();  // what on_open (or a close during the upgrade) queued
  read_next();
}

void LeanWebSocketSession::read_next() {
  if (reading_ || reader_done_) return;
  std::size_t direct_size = 0;
  char* direct = draining_ ? nullptr : parser_.direct_target(direct_size);
  const auto target = direct ? asio::buffer(direct, direct_size) : asio::buffer(small_read_);
  reading_ = true;
  socket_.async_read_some(target, [self = shared_from_this(), direct = direct != nullptr](beast::error_code error,
                                                                                          std::size_t bytes) {
    self->on_read(error, bytes, direct);
  });
}

void LeanWebSocketSession::on_read(beast::error_code error, std::size_t bytes, bool direct) {
  reading_ = false;
  if (error) {
    // EOF, a reset, or the socket closed by us: nothing more comes, and nothing more goes.
    reader_done_ = true;
    closing_ = true;
    outbox_.clear();
    close_socket();
    if (!writing_) writer_done_ = true;
    finish_if_done();
    return;
  }
  heard_from_peer_ = true;
  if (direct) {
    handle(parser_.direct_done(bytes));
  } else if (!draining_) {
    std::size_t pos = 0;
    while (pos < bytes && !draining_) {
      const auto result = parser_.parse(small_read_.data() + pos, bytes - pos);
      pos += result.consumed;
      handle(result);
      if (result.event == ClientFrameParser::Event::need_more) break;
    }
  }
  parser_.release_delivered();  // every result of this read is used
  read_next();
}

void LeanWebSocketSession::handle(const ClientFrameParser::Result& result) {
  using Event = ClientFrameParser::Event;
  switch (result.event) {
    case Event::need_more:
      return;
    case Event::message:
      if (!closing_) handler_->on_frame(result.payload);
      return;
    case Event::ping:
      if (!close_queued_) {
        // Only the latest ping is answered (RFC 6455 section 5.5.3 allows it): a client that floods pings and does
        // not read cannot pile up pongs here.
        auto& control = control_frames();
        control.pong.assign(result.payload);
        control.pong_pending = true;
        schedule_flush();
      }
      return;
    case Event::pong:
      return;  // heard from the peer: that is all a pong is for
    case Event::close:
      draining_ = true;
      peer_closed_ = true;
      if (close_queued_) {
        // The answer to our close: once ours is written, the handshake is complete.
        if (writer_done_) close_socket();
        return;
      }
      // The peer closes: answer at once with its code (what is still queued is dropped, as the peer will not read it).
      outbox_.clear();
      begin_close(result.close_code ? static_cast<CloseCode>(result.close_code) : CloseCode::normal, "",
                  /*wait_for_peer=*/false);
      return;
    case Event::too_large:
      draining_ = true;
      if (closing_) return;
      handler_->on_frame_too_large();
      // send() posts to this strand: the handler's error frame reaches the outbox before the close is queued.
      asio::post(socket_.get_executor(), [self = shared_from_this()] {
        self->begin_close(CloseCode::too_big, "frame too large", /*wait_for_peer=*/false);
      });
      return;
    case Event::protocol_error:
      draining_ = true;
      begin_close(static_cast<CloseCode>(result.close_code), result.what, /*wait_for_peer=*/false);
      return;
  }
}

void LeanWebSocketSession::enqueue(SharedFrame frame) {
  if (closed_ || closing_) return;
  if (outbox_.size() >= limits_->max_outbox_frames) {
    // Disconnect a reader that cannot keep up rather than drop game messages it would never know it missed.
    outbox_.clear();
    begin_close(CloseCode::policy_violation, "too slow: outgoing queue full", /*wait_for_peer=*/true);
    return;
  }
  outbox_.push_back(std::move(frame));
  schedule_flush();
}

void LeanWebSocketSession::begin_close(CloseCode code, std::string_view reason, bool wait_for_peer) {
  if (close_queued_ || writer_done_) return;
  closing_ = true;
  close_queued_ = true;
  wait_for_peer_close_ = wait_for_peer;
  append_server_frame(control_frames().close, kCloseOpcode, close_payload(code, reason));
  schedule_flush();
}

// Writes go out at the end of the event loop's pass, gathered: the messages of one pass leave in one socket write.
void LeanWebSocketSession::schedule_flush() {
  if (!opened_ || flush_posted_ || writing_ || writer_done_) return;
  flush_posted_ = true;
  asio::post(socket_.get_executor(), [self = shared_from_this()] {
    self->flush_posted_ = false;
    self->flush();
  });
}

void LeanWebSocketSession::flush() {
  if (!opened_ || writing_ || writer_done_) return;
  sending_.clear();
  if (control_ && control_->pong_pending) {
    append_server_frame(sending_, kPongOpcode, control_->pong);
    control_->pong_pending = false;
  }
  if (control_ && control_->ping_pending) {
    append_server_frame(sending_, kPingOpcode, {});
    control_->ping_pending = false;
  }
  while (!outbox_.empty() && sending_.size() < kGatherBytes) {
    append_server_frame(sending_, kBinaryOpcode, *outbox_.front());
    outbox_.pop_front();
  }
  if (outbox_.empty() && control_ && !control_->close.empty()) {
    sending_.append(control_->close);
    control_->close.clear();
    close_in_flight_ = true;
  }
  if (control_ && control_->close.empty()) control_.reset();  // until the next ping, pong or close
  if (sending_.empty()) return;
  writing_ = true;
  asio::async_write(socket_, asio::buffer(sending_),
                    [self = shared_from_this()](beast::error_code error, std::size_t) { self->on_written(error); });
}

void LeanWebSocketSession::on_written(beast::error_code error) {
  writing_ = false;
  // Kept for the next write only if one is waiting: an idle connection holds no write buffer (1.5 KiB each when
  // it was kept, measured at 3,000 idle rooms).
  if (outbox_.empty() || sending_.capacity() > kKeptSendCapacity) {
    std::string().swap(sending_);
  } else {
    sending_.clear();
  }
  if (error || reader_done_) {
    // The peer is gone (or the socket was closed under us): nothing more can be written.
    writer_done_ = true;
    closing_ = true;
    outbox_.clear();
    close_socket();
    finish_if_done();
    return;
  }
  if (close_in_flight_) {
    close_in_flight_ = false;
    writer_done_ = true;
    outbox_.clear();
    if (peer_closed_) {
      close_socket();  // the closing handshake is complete
    } else {
      if (!wait_for_peer_close_) {
        // A failure: the peer may still be sending (the rest of an oversized frame). Half-close and read to its EOF.
        draining_ = true;
        beast::error_code ignored;
        socket_.shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
      }
      start_deadline(kCloseWait);  // then the socket is closed whatever the peer does
    }
    finish_if_done();
    return;
  }
  flush();  // what came while this write was in flight
}

// A timer only while one is needed (the upgrade, the wait after our close frame): keep-alive needs none of its own.
void LeanWebSocketSession::start_deadline(std::chrono::steady_clock::duration after) {
  deadline_ = std::make_unique<asio::steady_timer>(socket_.get_executor(), after);
  deadline_->async_wait([self = shared_from_this()](beast::error_code error) {
    if (!error) self->close_socket();  // the upgrade took too long, or the peer never finished the closing handshake
  });
}

void LeanWebSocketSession::keepalive_tick() {
  asio::post(socket_.get_executor(), [self = shared_from_this()] { self->on_keepalive_tick(); });
}

// Called every third of idle_timeout: a silent peer is pinged after one to two ticks and dropped after two to three,
// so never later than idle_timeout.
void LeanWebSocketSession::on_keepalive_tick() {
  if (!opened_ || closed_ || writer_done_) return;
  if (heard_from_peer_) {
    heard_from_peer_ = false;
    ping_outstanding_ = false;
  } else if (!ping_outstanding_) {
    ping_outstanding_ = true;
    if (!close_queued_) {
      control_frames().ping_pending = true;
      schedule_flush();
    }
  } else {
    close_socket();  // silent through a ping and two ticks
  }
}

LeanWebSocketSession::ControlFrames& LeanWebSocketSession::control_frames() {
  if (!control_) control_ = std::make_unique<ControlFrames>();
  return *control_;
}

void LeanWebSocketSession::close_socket() {
  beast::error_code ignored;
  socket_.close(ignored);  // a read or write in flight ends with operation_aborted
}

// Both the reader and the writer are done: the connection is over; tell the handler, once.
void LeanWebSocketSession::finish_if_done() {
  if (!reader_done_ || !writer_done_ || closed_) return;
  closed_ = true;
  deadline_.reset();
  outbox_.clear();
  if (handler_) {
    handler_->on_closed();
    handler_.reset();
  }
}

}  // namespace umpire::gateway
