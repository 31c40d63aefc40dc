#pragma once

// The broker's core: answers "a token for this profile" from the cache when it can, and
// otherwise obtains one, letting every concurrent caller for the same profile share a
// single request to the provider.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>

#include "core/error.hpp"
#include "oauth/profile.hpp"
#include "oauth/token_cache.hpp"
#include "oauth/token_client.hpp"

namespace vegha::oauth {

struct TokenOptions {
    // The token must stay valid at least this long after it is handed out.
    std::chrono::seconds min_ttl{0};
};

struct TokenLease {
    std::shared_ptr<const CachedToken> entry;
    bool from_cache = false;
};

class TokenService {
public:
    // Prepares, once per token, the text the embedding program sends for it.
    using Renderer = std::function<std::string(const Token&)>;

    // `client` and the executor's context must outlive the service. Not thread-safe: all
    // calls run on the executor's single thread.
    TokenService(boost::asio::any_io_executor executor, TokenClient& client, Now now,
                 Renderer renderer);
    ~TokenService();

    // A cached token that satisfies `options`, or a new one from the provider. While a
    // request for the same cache key is in flight, further callers wait for its outcome
    // instead of sending their own. A fresh token is returned even when its whole lifetime
    // is shorter than options.min_ttl: the provider cannot do better.
    boost::asio::awaitable<Result<TokenLease>> get_token(const Profile& profile,
                                                         TokenOptions options);

    // The same, for a caller that keeps cache_key(profile) at hand: computing the key
    // hashes the credentials, which a cache hit should not have to pay for.
    boost::asio::awaitable<Result<TokenLease>> get_token(const Profile& profile,
                                                         const std::string& key,
                                                         TokenOptions options);

    const TokenCache& cache() const noexcept { return cache_; }

private:
    struct Flight;

    boost::asio::awaitable<Result<TokenLease>> lead_flight(const Profile& profile,
                                                           const std::string& key);

    boost::asio::any_io_executor executor_;
    TokenClient& client_;
    Now now_;
    Renderer renderer_;
    TokenCache cache_;
    std::unordered_map<std::string, std::shared_ptr<Flight>> flights_;
};

}  // namespace vegha::oauth
