#pragma once

// Tokens in memory, keyed by cache_key(profile). A lookup is a hash probe and a clock read:
// the hot path of the whole broker, which touches no network and no keystore.

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <unordered_map>

#include "oauth/token.hpp"

namespace vegha::oauth {

struct CachedToken {
    Token token;
    // The reply text the embedding program prepared for this token once, so a hit sends
    // it without serialising again (see TokenService::Renderer).
    std::string rendered;
};

class TokenCache {
public:
    explicit TokenCache(std::size_t capacity = 1024) : capacity_(capacity) {}

    // A token that will still be valid `min_ttl` from now (plus a safety margin), or null.
    std::shared_ptr<const CachedToken> find(const std::string& key, Clock::time_point now,
                                            std::chrono::seconds min_ttl) const;

    // The entry whatever its expiry, for listings.
    std::shared_ptr<const CachedToken> peek(const std::string& key) const;

    // Inserts or replaces. Past capacity, expired entries go first, then the entry that
    // expires soonest.
    void put(const std::string& key, std::shared_ptr<const CachedToken> entry,
             Clock::time_point now);

    void erase(const std::string& key) { entries_.erase(key); }
    std::size_t size() const noexcept { return entries_.size(); }

    // True when `token` outlives now + min_ttl by the safety margin: a tenth of its
    // lifetime, at most 30 s, so a token is not handed out in its last moments.
    static bool fresh_enough(const Token& token, Clock::time_point now,
                             std::chrono::seconds min_ttl);

private:
    void evict(Clock::time_point now);

    std::size_t capacity_;
    std::unordered_map<std::string, std::shared_ptr<const CachedToken>> entries_;
};

}  // namespace vegha::oauth
