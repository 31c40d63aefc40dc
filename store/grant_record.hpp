#pragma once

// One stored grant: what a token response gave, plus where it came from, in a structured,
// versioned record. Records are serialised to JSON ({"v": 1, ...}); a reader refuses a
// version it does not know rather than guessing at fields.

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/error.hpp"
#include "core/secret.hpp"

namespace vegha::store {

// The record layout this build writes and the only one it reads.
inline constexpr std::int64_t kGrantRecordVersion = 1;

struct GrantRecord {
    // The handle used by TokenStore::load() and erase(): grant_id_for(cache key). The cache
    // key itself holds arbitrary bytes and a credential digest, so only its hash is stored.
    std::string id;
    std::string profile;  // the profile's name, empty for an inline profile

    Secret access_token;
    Secret refresh_token;
    Secret id_token;
    std::string token_type;
    // Absolute expiry of the access token by this machine's clock.
    std::chrono::sys_seconds expires_at{};
    std::string scope;  // the granted scopes, space-separated (RFC 6749 §3.3)

    std::string issuer;
    std::string token_endpoint;
    std::string client_id;
};

// 64 lowercase hex digits of SHA-256 over the cache key's bytes.
std::string grant_id_for(std::string_view cache_key);

// The record as compact JSON. The result holds tokens, so it is a Secret.
Secret serialise(const GrantRecord& record);

// Parses what serialise() wrote. Errors (kStoreFailed) name the field at fault and never
// echo token values; input that is not JSON, a missing field, a wrong type or an unknown
// version `v` are errors, never aborts.
Result<GrantRecord> parse_grant_record(std::string_view json);

// The same, as a JSON object and from a JSON value, for containers that hold many records
// (the sealed file). The object holds the tokens in plain memory: keep it short-lived.
boost::json::object to_json(const GrantRecord& record);
Result<GrantRecord> from_json(const boost::json::value& value);

}  // namespace vegha::store
