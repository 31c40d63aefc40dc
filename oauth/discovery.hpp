#pragma once

// Provider metadata (RFC 8414, OpenID Connect Discovery 1.0): lets a profile name just its
// issuer and learn the endpoints from the provider itself.

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "oauth/http_client.hpp"
#include "oauth/profile.hpp"
#include "oauth/token.hpp"
#include "oauth/token_client.hpp"

namespace vegha::oauth {

struct ProviderMetadata {
    std::string issuer;
    std::optional<boost::urls::url> authorization_endpoint;
    std::optional<boost::urls::url> token_endpoint;
    std::optional<boost::urls::url> revocation_endpoint;
    std::optional<boost::urls::url> device_authorization_endpoint;
    std::vector<std::string> token_endpoint_auth_methods_supported;
    std::vector<std::string> code_challenge_methods_supported;
};

// The two places metadata may live for `issuer`: OpenID Connect's
// <issuer>/.well-known/openid-configuration, then RFC 8414 §3's
// <origin>/.well-known/oauth-authorization-server<issuer path>.
std::vector<boost::urls::url> metadata_urls(const boost::urls::url& issuer);

// Parses a metadata document and checks that its `issuer` is exactly the one asked for
// (RFC 8414 §3.3): a mismatch could let one provider speak for another.
Result<ProviderMetadata> parse_metadata(const HttpResponse& response, std::string_view issuer);

// True when `profile` names an issuer and lacks an endpoint its grant needs.
bool needs_discovery(const Profile& profile);

// Fills the endpoints `profile` leaves unset from `metadata`; what the profile names wins.
void apply_metadata(const ProviderMetadata& metadata, Profile& profile);

// Fetches and caches metadata per issuer. Not thread-safe: one I/O thread.
class Discovery {
public:
    Discovery(HttpClient& http, Now now, std::chrono::seconds max_age = std::chrono::hours(24))
        : http_(http), now_(std::move(now)), max_age_(max_age) {}

    boost::asio::awaitable<Result<ProviderMetadata>> metadata(const std::string& issuer,
                                                              const std::chrono::seconds& timeout,
                                                              const std::string& ca_file);

    // A copy of `profile` with its endpoints completed from its issuer's metadata; the
    // profile itself when it names no issuer or lacks nothing.
    boost::asio::awaitable<Result<Profile>> complete(const Profile& profile);

private:
    struct Entry {
        ProviderMetadata metadata;
        Clock::time_point fetched;
    };

    HttpClient& http_;
    Now now_;
    std::chrono::seconds max_age_;
    std::map<std::string, Entry, std::less<>> cache_;
};

}  // namespace vegha::oauth
