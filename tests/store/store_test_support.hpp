#pragma once

// Records and checks shared by the store tests.

#include <gtest/gtest.h>

#include <string>

#include "store/grant_record.hpp"

namespace vegha::store::test {

// A record whose tokens are recognisable strings ("access-<n>-...") padded to `token_bytes`
// so a test can look for them in files and on the bus.
inline GrantRecord sample_record(const std::string& profile, int n, std::size_t token_bytes = 40) {
    auto token = [&](std::string_view kind) {
        std::string value = std::string(kind) + "-" + std::to_string(n) + "-";
        while (value.size() < token_bytes) {
            value += static_cast<char>('a' + value.size() % 26);
        }
        return Secret(std::move(value));
    };
    GrantRecord record;
    record.id = grant_id_for("cache-key-" + profile + "-" + std::to_string(n));
    record.profile = profile;
    record.access_token = token("access");
    record.refresh_token = token("refresh");
    record.id_token = token("idtoken");
    record.token_type = "Bearer";
    record.expires_at = std::chrono::sys_seconds(std::chrono::seconds(1'900'000'000 + n));
    record.scope = "openid offline_access";
    record.issuer = "https://idp.example";
    record.token_endpoint = "https://idp.example/token";
    record.client_id = "client-" + std::to_string(n);
    return record;
}

inline void expect_same(const GrantRecord& a, const GrantRecord& b) {
    EXPECT_EQ(a.id, b.id);
    EXPECT_EQ(a.profile, b.profile);
    EXPECT_TRUE(a.access_token == b.access_token);
    EXPECT_TRUE(a.refresh_token == b.refresh_token);
    EXPECT_TRUE(a.id_token == b.id_token);
    EXPECT_EQ(a.token_type, b.token_type);
    EXPECT_EQ(a.expires_at, b.expires_at);
    EXPECT_EQ(a.scope, b.scope);
    EXPECT_EQ(a.issuer, b.issuer);
    EXPECT_EQ(a.token_endpoint, b.token_endpoint);
    EXPECT_EQ(a.client_id, b.client_id);
}

}  // namespace vegha::store::test
