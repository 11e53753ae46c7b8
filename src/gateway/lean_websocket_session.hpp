// gateway/lean_websocket_session.hpp — one plain-TCP player connection with our own RFC 6455 framing
// (ClientFrameParser): the upgrade, a read chain and a write chain of completion handlers, keep-alive pings (ticked
// by the listener) and the closing handshake. What it holds while idle is the session object, its socket and one
// pending read (about 1 KiB, against about 5 KiB for Beast's stream, its timer, its read and the coroutine waiting
// on it; see client_frame_parser.hpp).
// Same contract as WebSocketSession: frames go to a FrameHandler, come in through send(), on one strand.
#pragma once

#include <array>
#include <memory>
#include <string>

#include "gateway/client_frame_parser.hpp"
#include "gateway/websocket_session.hpp"

namespace umpire::gateway {

class LeanWebSocketSession final : public FrameSender, public std::enable_shared_from_this<LeanWebSocketSession> {
 public:
  using HandlerFactory = std::function<std::shared_ptr<FrameHandler>(std::shared_ptr<FrameSender>)>;

  // `limits` is shared by every session of a listener (one copy, not one per connection).
  LeanWebSocketSession(asio::ip::tcp::socket socket, std::shared_ptr<const SessionLimits> limits, std::string remote);

  // Runs the upgrade, then the connection, on the socket's strand. See WebSocketSession::start.
  void start(HandlerFactory make_handler, std::shared_ptr<void> connection_ticket = nullptr);

  void send(SharedFrame frame) override;
  void close(std::string reason) override;
  void abort() override;
  const std::string& remote_endpoint() const override { return remote_; }

  // Keep-alive, from the listener every third of idle_timeout (one timer for all connections, not one each): pings
  // a peer silent since the last tick, closes one silent since the ping.
  void keepalive_tick();

 private:
  asio::awaitable<void> upgrade(HandlerFactory make_handler);
  void opened(HandlerFactory make_handler, std::string_view early_bytes);
  void read_next();
  void on_read(beast::error_code error, std::size_t bytes, bool direct);
  // Acts on what the parser found.
  void handle(const ClientFrameParser::Result& result);
  void enqueue(SharedFrame frame);
  void begin_close(CloseCode code, std::string_view reason, bool wait_for_peer);
  void schedule_flush();
  void flush();
  void on_written(beast::error_code error);
  void start_deadline(std::chrono::steady_clock::duration after);
  void on_keepalive_tick();
  void close_socket();
  void finish_if_done();

  asio::ip::tcp::socket socket_;
  std::unique_ptr<asio::steady_timer> deadline_;  // the upgrade's, then the wait for the peer's close; else none
  std::shared_ptr<const SessionLimits> limits_;
  std::string remote_;
  std::shared_ptr<FrameHandler> handler_;
  std::shared_ptr<void> connection_ticket_;
  ClientFrameParser parser_;
  FrameQueue outbox_;       // messages waiting for the writer, oldest first
  // Control frames waiting to be written; allocated only while some are (most of a connection's life, none).
  struct ControlFrames {
    std::string pong;           // the latest ping's payload, answered before the next messages
    bool pong_pending = false;
    bool ping_pending = false;  // a keep-alive ping, written before the next messages
    std::string close;          // ours, framed, written once the outbox is empty
  };
  ControlFrames& control_frames();
  std::unique_ptr<ControlFrames> control_;
  std::string sending_;     // the bytes of the socket write in flight (framed messages gathered in one write)
  bool opened_ = false;         // the upgrade succeeded and the handler exists
  bool reading_ = false;        // a socket read is in flight
  bool reader_done_ = false;    // the socket's read side has ended
  bool draining_ = false;       // frames are no longer read, only bytes (after a close frame or a failure)
  bool writing_ = false;        // a socket write is in flight
  bool writer_done_ = false;    // nothing more will be written
  bool flush_posted_ = false;
  bool closing_ = false;        // no more messages are taken or handed to the handler
  bool close_queued_ = false;   // our close frame is queued (or written)
  bool close_in_flight_ = false;
  bool wait_for_peer_close_ = false;  // after our close frame: wait (a while) for the peer's, then close the socket
  bool peer_closed_ = false;    // the peer's close frame came
  bool heard_from_peer_ = false;  // a frame came since the last timer tick
  bool ping_outstanding_ = false;
  bool closed_ = false;         // the socket is done; on_closed was called
  // A move (30 bytes framed) fits; a longer message goes on in the parser's buffer, a long one straight into it.
  std::array<char, 64> small_read_{};
};

}  // namespace umpire::gateway
