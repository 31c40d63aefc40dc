#pragma once

// The broker's core: answers "a token for this profile" from the cache when it can, and
// otherwise renews it (refresh grant, or a new grant, or a login), letting every concurrent
// caller for the same profile share one renewal. Tokens that can be renewed without a
// person are renewed ahead of expiry on timers, so a cache hit never waits on the network.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>

#include "core/error.hpp"
#include "oauth/profile.hpp"
#include "oauth/token_cache.hpp"
#include "oauth/token_client.hpp"

namespace vegha::oauth {

// What a person must do to finish a login: open `url` in a browser, or enter `user_code`
// at `verification_uri` (RFC 8628).
struct LoginPrompt {
    std::string url;
    std::string verification_uri;
    std::string user_code;
};

using PromptListener = std::function<void(const LoginPrompt&)>;

struct TokenOptions {
    // The token must stay valid at least this long after it is handed out.
    std::chrono::seconds min_ttl{0};
    // The caller can take part in a login (it will show a prompt to a person). Without
    // this, a grant only a login could renew fails with kLoginRequired at once.
    bool interactive = false;
    // Renew even though the cached token is still valid.
    bool force_refresh = false;
    // Start a new login (interactive callers, authorization_code profiles) or a new grant,
    // without trying the refresh token first.
    bool force_login = false;
    // The caller's API refused this token: renew, unless the cached token is already
    // another one (then that newer token is the answer, and no request is made).
    std::string rejected_token = {};
    // Called on the I/O thread when the login this caller waits for needs a person.
    PromptListener on_prompt = {};
};

struct TokenLease {
    std::shared_ptr<const CachedToken> entry;
    bool from_cache = false;
};

// Obtains a token through a person: the browser login or the device grant. Called for
// profiles whose grant is authorization_code when no refresh token can help.
struct LoginRequest {
    const Profile& profile;
    PromptListener on_prompt;  // forwards to every caller waiting for this login
};
using LoginRunner = std::function<boost::asio::awaitable<Result<Token>>(const LoginRequest&)>;

// Keeps grants beyond the daemon's memory (the OS keystore). Every call is awaited on the
// I/O thread and must not block it.
class GrantPersistence {
public:
    virtual ~GrantPersistence() = default;

    // Durably records the grant; awaited before the token is handed out, so a rotated
    // refresh token is never lost.
    virtual boost::asio::awaitable<Result<void>> save(const std::string& key,
                                                      const Profile& profile,
                                                      const Token& token) = 0;
    // The grant saved for this key before (by an earlier run of the daemon), if any.
    virtual boost::asio::awaitable<Result<std::optional<Token>>> load(const std::string& key) = 0;
    virtual boost::asio::awaitable<Result<void>> erase(const std::string& key) = 0;
};

struct RenewalPolicy {
    // Renew at this fraction of a token's lifetime, give or take `jitter` of it.
    double at_fraction = 0.75;
    double jitter = 0.05;
    // No background renewal for a grant nobody asked for in this long.
    std::chrono::seconds idle_cutoff{std::chrono::hours(1)};
    // Network errors, timeouts and 5xx answers are retried this many times in all...
    int attempts = 3;
    // ...waiting this long before the second attempt, twice as long before the third.
    std::chrono::milliseconds backoff{250};
};

struct TokenServiceOptions {
    RenewalPolicy renewal = {};
    GrantPersistence* persistence = nullptr;  // null: memory only
    LoginRunner login = {};                   // empty: logins are not available
};

class TokenService {
public:
    // Prepares, once per token, the text the embedding program sends for it.
    using Renderer = std::function<std::string(const Token&)>;

    // `client` (and options.persistence) and the executor's context must outlive the
    // service. Not thread-safe: all calls run on the executor's single thread.
    TokenService(boost::asio::any_io_executor executor, TokenClient& client, Now now,
                 Renderer renderer, TokenServiceOptions options = {});
    ~TokenService();

    // A cached token that satisfies `options`, or a renewed one. While a renewal for the
    // same cache key is in flight, further callers wait for its outcome instead of starting
    // their own. A fresh token is returned even when its whole lifetime is shorter than
    // options.min_ttl: the provider cannot do better.
    boost::asio::awaitable<Result<TokenLease>> get_token(const Profile& profile,
                                                         const TokenOptions& options);

    // The same, for a caller that keeps cache_key(profile) at hand: computing the key
    // hashes the credentials, which a cache hit should not have to pay for.
    boost::asio::awaitable<Result<TokenLease>> get_token(const Profile& profile,
                                                         const std::string& key,
                                                         const TokenOptions& options);

    // Options are taken by reference, as everything these coroutines take: GCC 12 can
    // destroy a class-type coroutine parameter taken by value twice. Callers keep them
    // alive while they await (a temporary in the co_await expression is).

    // Drops the grant for `key` from memory, from persistence and from the renewal timers.
    // Returns the refresh token (or access token) it held, for revocation by the caller.
    boost::asio::awaitable<Result<std::optional<Token>>> forget(const std::string& key);

    // Cancels every renewal timer; nothing is renewed afterwards.
    void stop();

    const TokenCache& cache() const noexcept { return cache_; }
    std::size_t renewals_scheduled() const noexcept;

private:
    struct Flight;
    struct Grant;

    boost::asio::awaitable<Result<TokenLease>> lead_flight(const Profile& profile,
                                                           const std::string& key,
                                                           const TokenOptions& options);
    boost::asio::awaitable<Result<std::shared_ptr<const CachedToken>>> settle(
        const Profile& profile, const std::string& key, const TokenOptions& options,
        const std::shared_ptr<Flight>& flight);
    boost::asio::awaitable<Result<Token>> renew(const Profile& profile, const std::string& key,
                                                const TokenOptions& options,
                                                const std::shared_ptr<Flight>& flight);
    boost::asio::awaitable<Result<Token>> with_retries(const Profile& profile,
                                                       const Token* previous);
    boost::asio::awaitable<Result<std::shared_ptr<const CachedToken>>> adopt(const Profile& profile,
                                                                             const std::string& key,
                                                                             Token& token);
    boost::asio::awaitable<void> renew_in_background(std::string key);
    void schedule_renewal(const Profile& profile, const std::string& key, const Token& token);
    void touch(const std::string& key);

    boost::asio::any_io_executor executor_;
    TokenClient& client_;
    Now now_;
    Renderer renderer_;
    TokenServiceOptions options_;
    TokenCache cache_;
    std::unordered_map<std::string, std::shared_ptr<Flight>> flights_;
    std::unordered_map<std::string, std::shared_ptr<Grant>> grants_;
    bool stopped_ = false;
};

}  // namespace vegha::oauth
