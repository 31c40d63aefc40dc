#include "oauth/token_cache.hpp"

#include <algorithm>

namespace vegha::oauth {

bool TokenCache::fresh_enough(const Token& token, Clock::time_point now,
                              std::chrono::seconds min_ttl) {
    const Clock::duration margin =
        std::min<Clock::duration>(std::chrono::seconds(30), token.lifetime / 10);
    return token.expires_at - now > Clock::duration(min_ttl) + margin;
}

std::shared_ptr<const CachedToken> TokenCache::find(const std::string& key, Clock::time_point now,
                                                    std::chrono::seconds min_ttl) const {
    const auto it = entries_.find(key);
    if (it == entries_.end() || !fresh_enough(it->second->token, now, min_ttl)) {
        return nullptr;
    }
    return it->second;
}

std::shared_ptr<const CachedToken> TokenCache::peek(const std::string& key) const {
    const auto it = entries_.find(key);
    return it == entries_.end() ? nullptr : it->second;
}

void TokenCache::put(const std::string& key, std::shared_ptr<const CachedToken> entry,
                     Clock::time_point now) {
    entries_.insert_or_assign(key, std::move(entry));
    if (entries_.size() > capacity_) {
        evict(now);
    }
}

void TokenCache::evict(Clock::time_point now) {
    std::erase_if(entries_,
                  [now](const auto& item) { return item.second->token.expires_at <= now; });
    while (entries_.size() > capacity_) {
        const auto soonest =
            std::min_element(entries_.begin(), entries_.end(), [](const auto& a, const auto& b) {
                return a.second->token.expires_at < b.second->token.expires_at;
            });
        entries_.erase(soonest);
    }
}

}  // namespace vegha::oauth
