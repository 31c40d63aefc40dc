#include "oauth/scope_set.hpp"

#include <algorithm>

namespace vegha::oauth {

ScopeSet::ScopeSet(std::vector<std::string> scopes) : scopes_(std::move(scopes)) {
    std::erase_if(scopes_, [](const std::string& s) { return s.empty(); });
    std::sort(scopes_.begin(), scopes_.end());
    scopes_.erase(std::unique(scopes_.begin(), scopes_.end()), scopes_.end());
}

ScopeSet ScopeSet::parse(std::string_view text) {
    std::vector<std::string> scopes;
    std::size_t pos = 0;
    while (pos < text.size()) {
        const std::size_t end = std::min(text.find(' ', pos), text.size());
        if (end > pos) {
            scopes.emplace_back(text.substr(pos, end - pos));
        }
        pos = end + 1;
    }
    return ScopeSet(std::move(scopes));
}

std::string ScopeSet::to_string() const {
    std::string out;
    for (const auto& scope : scopes_) {
        if (!out.empty()) {
            out += ' ';
        }
        out += scope;
    }
    return out;
}

}  // namespace vegha::oauth
