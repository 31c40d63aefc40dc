#pragma once

// The profiles integration tests configure against the demo provider (idp/README.md
// lists its clients and users).

#include <string>

#include "tests/support/broker_env.hpp"

namespace vegha::test {

// Secrets and passwords the tests must never find in a log.
inline constexpr const char* kServiceSecret = "demo-service-secret";
inline constexpr const char* kPostSecret = "demo-service-post-secret";
inline constexpr const char* kSpacedSecret = "p@ss+w/rd:=1";
inline constexpr const char* kAlicePassword = "wonderland";
inline constexpr const char* kWrongPassword = "not-her-password-7";
inline constexpr const char* kWrongSecret = "not-the-secret-9";

inline std::string demo_config(const DemoIdp& idp) {
    const std::string token_url = idp.token_url();
    return R"({"profiles": {
      "service": {"grant": "client_credentials", "token_url": ")" +
           token_url + R"(",
                  "client_id": "demo-service", "client_secret": ")" +
           kServiceSecret + R"(",
                  "scopes": ["api:read", "api:write"]},
      "service-post": {"grant": "client_credentials", "token_url": ")" +
           token_url + R"(",
                  "client_id": "demo-service-post", "client_secret": ")" +
           kPostSecret + R"(",
                  "client_auth": "client_secret_post", "scopes": "api:read"},
      "spaced-client": {"grant": "client_credentials", "token_url": ")" +
           token_url + R"(",
                  "client_id": "cli app", "client_secret": ")" +
           kSpacedSecret + R"(",
                  "scopes": ["api:read"]},
      "wrong-secret": {"grant": "client_credentials", "token_url": ")" +
           token_url + R"(",
                  "client_id": "demo-service", "client_secret": ")" +
           kWrongSecret + R"(",
                  "scopes": ["api:read"]},
      "alice": {"grant": "password", "token_url": ")" +
           token_url + R"(",
                  "client_id": "demo-cli", "username": "alice",
                  "password_env": "TEST_ALICE_PASSWORD",
                  "scopes": ["openid", "api:read", "offline_access"]},
      "alice-confidential": {"grant": "password", "token_url": ")" +
           token_url + R"(",
                  "client_id": "demo-cli-confidential", "client_secret": "demo-cli-secret",
                  "username": "alice", "password": ")" +
           kAlicePassword + R"(",
                  "scopes": ["api:read"]},
      "alice-wrong-password": {"grant": "password", "token_url": ")" +
           token_url + R"(",
                  "client_id": "demo-cli", "username": "alice",
                  "password": ")" +
           kWrongPassword + R"(", "scopes": ["api:read"]},
      "discovered": {"grant": "client_credentials", "issuer": ")" +
           idp.issuer() + R"(",
                  "client_id": "demo-service", "client_secret": ")" +
           kServiceSecret + R"(",
                  "scopes": ["api:read"]},
      "wrong-issuer": {"grant": "client_credentials",
                  "issuer": "http://localhost:)" +
           std::to_string(idp.port()) + R"(",
                  "client_id": "demo-service", "client_secret": ")" +
           kServiceSecret + R"("},
      "unreachable": {"grant": "client_credentials", "token_url": "http://127.0.0.1:9/token",
                  "client_id": "demo-service", "client_secret": "x", "timeout_seconds": 5},
      "browser-login": {"grant": "authorization_code",
                  "authorization_url": ")" +
           idp.issuer() + R"(/auth",
                  "token_url": ")" +
           token_url + R"(", "client_id": "demo-native",
                  "redirect_uri": "http://127.0.0.1/callback", "scopes": ["openid"]}
    }})";
}

inline std::map<std::string, std::string> demo_env() {
    return {{"TEST_ALICE_PASSWORD", kAlicePassword}};
}

}  // namespace vegha::test
