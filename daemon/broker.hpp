#pragma once

// What the daemon does with a request: reads the envelope, resolves the profile (named or
// inline), asks the token service and writes the reply. Everything here runs on the one
// I/O thread.

#include <spdlog/logger.h>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "daemon/config.hpp"
#include "daemon/login_runner.hpp"
#include "ipc/server.hpp"
#include "oauth/discovery.hpp"
#include "oauth/http_client.hpp"
#include "oauth/token_client.hpp"
#include "oauth/token_service.hpp"
#include "proto/protocol.hpp"

namespace vegha::daemon {

// Where grants are kept between daemon runs, as the daemon set it up at start.
struct GrantStorage {
    oauth::GrantPersistence* persistence = nullptr;  // null: memory only; must outlive the Broker
    // The `token_store` text of `status`, asked anew on each request so a store that started
    // failing shows it. Empty: "memory".
    std::function<std::string()> describe;
};

class Broker {
public:
    Broker(boost::asio::any_io_executor executor, Config config,
           oauth::HttpClientOptions http_options, oauth::Now now = oauth::Clock::now,
           GrantStorage storage = {}, LoginSettings login = {});

    // The ipc::RequestHandler: one request body in, one reply body out. Never throws for
    // bad input.
    boost::asio::awaitable<std::string> handle(std::string body, const ipc::ConnectionInfo& conn);

    // Reported by `status`.
    void set_connection_counter(std::function<std::size_t()> counter);

private:
    struct Target;

    // get_token, and login (a new sign-in even when a token or refresh token is held).
    boost::asio::awaitable<std::string> get_token(const proto::Request& request,
                                                  const ipc::ConnectionInfo& conn,
                                                  const std::string& tag, bool login);
    boost::asio::awaitable<std::string> logout(const proto::Request& request,
                                               const std::string& tag);
    // The profile a request's "profile" or "config" names, and its cache key.
    // The profile a request names, or the one it carries inline.
    Result<void> find_profile(const boost::json::object& params, Target& target) const;
    // find_profile(), then a profile that names only its issuer completed from the
    // provider's metadata.
    boost::asio::awaitable<Result<void>> resolve(const boost::json::object& params,
                                                 Target& target);
    std::string list(const proto::Request& request) const;
    std::string status(const proto::Request& request) const;

    Config config_;
    // cache_key() of each named profile, computed once.
    std::map<std::string, std::string> profile_keys_;
    oauth::Now now_;
    oauth::HttpClient http_;
    oauth::TokenClient token_client_;
    oauth::TokenService tokens_;
    oauth::Discovery discovery_;
    std::function<std::string()> describe_storage_;
    std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
    std::function<std::size_t()> connections_;
    std::shared_ptr<spdlog::logger> log_;
};

// The `get_token` result object's text for a token (see proto/PROTOCOL.md), prepared once
// per token and sent as is on every cache hit.
std::string render_token_result(const oauth::Token& token);

}  // namespace vegha::daemon
