#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace vegha::oauth {

// A set of OAuth scopes (RFC 6749 §3.3): order and duplicates carry no meaning, so two
// requests for "b a" and "a b a" name the same set and share a cached token.
class ScopeSet {
public:
    ScopeSet() = default;
    explicit ScopeSet(std::vector<std::string> scopes);

    // Splits a space-delimited scope string; runs of spaces are tolerated.
    static ScopeSet parse(std::string_view text);

    // Sorted, space-delimited: the form sent to the provider and used in cache keys.
    std::string to_string() const;

    const std::vector<std::string>& items() const noexcept { return scopes_; }
    bool empty() const noexcept { return scopes_.empty(); }

    friend bool operator==(const ScopeSet&, const ScopeSet&) = default;

private:
    std::vector<std::string> scopes_;
};

}  // namespace vegha::oauth
