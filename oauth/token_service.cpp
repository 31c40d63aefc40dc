#include "oauth/token_service.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <exception>
#include <optional>

namespace vegha::oauth {
namespace asio = boost::asio;

// One request to the provider and the callers waiting for it. Waiters park on a timer
// that never expires by itself; the leader cancels it when the outcome is known.
struct TokenService::Flight {
    explicit Flight(asio::any_io_executor executor)
        : done(executor, asio::steady_timer::time_point::max()) {}

    asio::steady_timer done;
    std::optional<Result<std::shared_ptr<const CachedToken>>> outcome;
};

TokenService::TokenService(asio::any_io_executor executor, TokenClient& client, Now now,
                           Renderer renderer)
    : executor_(std::move(executor)),
      client_(client),
      now_(std::move(now)),
      renderer_(std::move(renderer)) {}

TokenService::~TokenService() = default;

asio::awaitable<Result<TokenLease>> TokenService::get_token(const Profile& profile,
                                                            TokenOptions options) {
    co_return co_await get_token(profile, cache_key(profile), options);
}

asio::awaitable<Result<TokenLease>> TokenService::get_token(const Profile& profile,
                                                            const std::string& key,
                                                            TokenOptions options) {
    if (auto hit = cache_.find(key, now_(), options.min_ttl)) {
        co_return TokenLease{std::move(hit), true};
    }

    if (auto it = flights_.find(key); it != flights_.end()) {
        const std::shared_ptr<Flight> flight = it->second;
        co_await flight->done.async_wait(asio::as_tuple(asio::use_awaitable));
        if (!flight->outcome) {
            co_return make_error(Errc::kInternal, "the shared token request was abandoned");
        }
        if (!*flight->outcome) {
            co_return flight->outcome->error();
        }
        co_return TokenLease{flight->outcome->value(), false};
    }
    co_return co_await lead_flight(profile, key);
}

asio::awaitable<Result<TokenLease>> TokenService::lead_flight(const Profile& profile,
                                                              const std::string& key) {
    auto flight = std::make_shared<Flight>(executor_);
    flights_.emplace(key, flight);

    Result<std::shared_ptr<const CachedToken>> outcome =
        make_error(Errc::kInternal, "the token request failed unexpectedly");
    try {
        auto token = co_await client_.request_token(profile);
        if (token) {
            auto entry = std::make_shared<CachedToken>();
            entry->rendered = renderer_(*token);
            entry->token = std::move(*token);
            cache_.put(key, entry, now_());
            outcome = std::shared_ptr<const CachedToken>(std::move(entry));
        } else {
            outcome = token.error();
        }
    } catch (const std::exception&) {
        // Waiters must be released whatever happened; the exception itself is the
        // caller's to log.
        flight->outcome = outcome;
        flights_.erase(key);
        flight->done.cancel();
        throw;
    }

    flight->outcome = outcome;
    flights_.erase(key);
    flight->done.cancel();
    if (!outcome) {
        co_return outcome.error();
    }
    co_return TokenLease{std::move(*outcome), false};
}

}  // namespace vegha::oauth
