// referee/session_port.cpp — the production SessionPort: a thin adapter over clearnode::ClearNodeClient.
#include "referee/session_port.hpp"

namespace umpire::referee {
namespace {

using boost::asio::awaitable;

class ClearNodeSessionPort final : public SessionPort {
 public:
  ClearNodeSessionPort(std::shared_ptr<clearnode::ClearNodeClient> client, std::string umpire_address)
      : client_(std::move(client)), umpire_address_(std::move(umpire_address)) {}

  clearnode::PreparedRequest prepare_create(const clearnode::CreateAppSessionParams& params) override {
    return client_->prepare_create_app_session(params);
  }
  awaitable<clearnode::AppSessionResult> submit_create(clearnode::PreparedRequest prepared,
                                                       std::vector<crypto::Signature> players) override {
    return client_->submit_prepared(std::move(prepared), std::move(players), true);
  }
  awaitable<clearnode::AppSessionResult> submit_state(clearnode::SubmitAppStateParams params) override {
    return client_->submit_app_state(std::move(params));
  }
  awaitable<clearnode::AppSessionResult> close(clearnode::CloseAppSessionParams params) override {
    return client_->close_app_session(std::move(params));
  }
  awaitable<std::optional<clearnode::AppSessionInfo>> find(std::string app_session_id) override {
    return client_->find_app_session(std::move(app_session_id));
  }
  awaitable<std::vector<clearnode::AppSessionInfo>> open_sessions() override {
    std::vector<clearnode::AppSessionInfo> all;
    for (std::uint64_t offset = 0;; offset += 100) {
      clearnode::AppSessionsFilter filter;
      filter.participant = umpire_address_;
      filter.status = "open";
      filter.offset = offset;
      filter.limit = 100;
      auto page = co_await client_->get_app_sessions(filter);
      const auto size = page.size();
      for (auto& item : page) all.push_back(std::move(item));
      if (size < 100) break;
    }
    co_return all;
  }

 private:
  std::shared_ptr<clearnode::ClearNodeClient> client_;
  std::string umpire_address_;
};

}  // namespace

std::shared_ptr<SessionPort> make_clearnode_session_port(std::shared_ptr<clearnode::ClearNodeClient> client,
                                                         std::string umpire_address) {
  return std::make_shared<ClearNodeSessionPort>(std::move(client), std::move(umpire_address));
}

}  // namespace umpire::referee
