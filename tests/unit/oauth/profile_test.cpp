#include "oauth/profile.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <map>
#include <string>
#include <vector>

#include "oauth/token_client.hpp"
#include "support/printers.hpp"

namespace vegha::oauth {
namespace {
namespace json = boost::json;

Result<Profile> parse(std::string_view text, const ParseOptions& options = {}) {
    return parse_profile(json::parse(text).as_object(), "work-api", options);
}

bool contains(std::string_view haystack, std::string_view needle) {
    return haystack.find(needle) != std::string_view::npos;
}

EnvLookup fake_environment(std::map<std::string, std::string> variables) {
    return [variables = std::move(variables)](std::string_view name) -> std::optional<std::string> {
        const auto it = variables.find(std::string(name));
        return it == variables.end() ? std::nullopt : std::optional<std::string>(it->second);
    };
}

constexpr std::string_view kClientCredentials = R"({
    "grant": "client_credentials",
    "token_url": "https://idp.example/oauth2/token",
    "client_id": "svc",
    "client_secret": "s3cret",
    "scopes": ["read", "write"]
})";

// ---- a complete profile ----

TEST(ParseProfile, ReadsAClientCredentialsProfile) {
    auto profile = parse(kClientCredentials);

    ASSERT_TRUE(profile) << profile.error().message;
    EXPECT_EQ(profile->name, "work-api");
    EXPECT_EQ(profile->grant, GrantType::kClientCredentials);
    EXPECT_EQ(profile->token_url.buffer(), "https://idp.example/oauth2/token");
    EXPECT_EQ(profile->client_id.value, "svc");
    EXPECT_EQ(profile->client_secret.reveal(), "s3cret");
    EXPECT_EQ(profile->scopes.to_string(), "read write");
    EXPECT_EQ(profile->timeout, std::chrono::seconds(30));
    EXPECT_EQ(profile->default_lifetime, std::chrono::seconds(300));
}

TEST(ParseProfile, ReadsAPasswordProfileWithAudienceAndTimeouts) {
    auto profile = parse(R"({
        "grant": "password", "token_url": "https://idp.example/token", "client_id": "app",
        "username": "alice", "password": "pw", "audience": "https://api.example",
        "timeout_seconds": 5, "default_lifetime_seconds": 600
    })");

    ASSERT_TRUE(profile) << profile.error().message;
    EXPECT_EQ(profile->grant, GrantType::kPassword);
    EXPECT_EQ(profile->username, "alice");
    EXPECT_EQ(profile->password.reveal(), "pw");
    EXPECT_EQ(profile->audience, "https://api.example");
    EXPECT_EQ(profile->timeout, std::chrono::seconds(5));
    EXPECT_EQ(profile->default_lifetime, std::chrono::seconds(600));
}

TEST(ParseProfile, ReadsAnAuthorizationCodeProfile) {
    auto profile = parse(R"({
        "grant": "authorization_code", "token_url": "https://idp.example/token",
        "authorization_url": "https://idp.example/authorize", "client_id": "app",
        "redirect_uri": "http://127.0.0.1/callback"
    })");

    ASSERT_TRUE(profile) << profile.error().message;
    EXPECT_EQ(profile->grant, GrantType::kAuthorizationCode);
    ASSERT_TRUE(profile->authorization_url);
    EXPECT_EQ(profile->authorization_url->buffer(), "https://idp.example/authorize");
    ASSERT_TRUE(profile->redirect_uri);
    EXPECT_EQ(profile->redirect_uri->buffer(), "http://127.0.0.1/callback");
}

TEST(ParseProfile, NamesAnInlineProfileAsSuch) {
    auto profile = parse_profile(json::parse(R"({"grant":"password"})").as_object(), "", {});

    ASSERT_FALSE(profile);
    EXPECT_TRUE(contains(profile.error().message, "inline profile")) << profile.error().message;
}

// ---- required fields, grant by grant ----

struct MissingFieldCase {
    const char* description;
    const char* json;
    const char* field;
};

class ParseProfileMissingField : public testing::TestWithParam<MissingFieldCase> {};

TEST_P(ParseProfileMissingField, FailsWithMissingFieldNamingTheField) {
    auto profile = parse(GetParam().json);

    ASSERT_FALSE(profile);
    EXPECT_EQ(profile.error().code, Errc::kMissingField) << profile.error().message;
    EXPECT_TRUE(contains(profile.error().message, "\"" + std::string(GetParam().field) + "\""))
        << profile.error().message;
    EXPECT_TRUE(contains(profile.error().message, "work-api")) << profile.error().message;
}

INSTANTIATE_TEST_SUITE_P(
    EachGrant, ParseProfileMissingField,
    testing::Values(
        MissingFieldCase{"grant", R"({"token_url":"https://i.example/t","client_id":"c"})",
                         "grant"},
        MissingFieldCase{"token_url", R"({"grant":"client_credentials","client_id":"c",
                                          "client_secret":"s"})",
                         "token_url"},
        MissingFieldCase{"client_id", R"({"grant":"client_credentials",
                                          "token_url":"https://i.example/t","client_secret":"s"})",
                         "client_id"},
        MissingFieldCase{"client_secret", R"({"grant":"client_credentials",
                                              "token_url":"https://i.example/t","client_id":"c"})",
                         "client_secret"},
        MissingFieldCase{"username", R"({"grant":"password","token_url":"https://i.example/t",
                                         "client_id":"c","password":"p"})",
                         "username"},
        MissingFieldCase{"password", R"({"grant":"password","token_url":"https://i.example/t",
                                         "client_id":"c","username":"u"})",
                         "password"},
        MissingFieldCase{"authorization_url",
                         R"({"grant":"authorization_code","token_url":"https://i.example/t",
                             "client_id":"c","redirect_uri":"http://127.0.0.1/cb"})",
                         "authorization_url"},
        MissingFieldCase{"redirect_uri",
                         R"({"grant":"authorization_code","token_url":"https://i.example/t",
                             "client_id":"c","authorization_url":"https://i.example/a"})",
                         "redirect_uri"},
        MissingFieldCase{"secret_for_explicit_client_auth",
                         R"({"grant":"password","token_url":"https://i.example/t",
                             "client_id":"c","username":"u","password":"p",
                             "client_auth":"client_secret_post"})",
                         "client_secret"}),
    [](const testing::TestParamInfo<MissingFieldCase>& test_case) {
        return std::string(test_case.param.description);
    });

TEST(ParseProfile, RefusesAnUnknownGrantAsUnsupported) {
    auto profile = parse(R"({"grant":"device_code","token_url":"https://i.example/t",
                             "client_id":"c"})");

    ASSERT_FALSE(profile);
    EXPECT_EQ(profile.error().code, Errc::kUnsupportedGrant);
    EXPECT_TRUE(contains(profile.error().message, "device_code")) << profile.error().message;
}

TEST(ParseProfile, RefusesClientAuthNoneForClientCredentials) {
    auto profile = parse(R"({"grant":"client_credentials","token_url":"https://i.example/t",
                             "client_id":"c","client_secret":"s","client_auth":"none"})");

    ASSERT_FALSE(profile);
    EXPECT_EQ(profile.error().code, Errc::kInvalidRequest);
    EXPECT_TRUE(contains(profile.error().message, "client_auth"));
}

// ---- endpoint URLs ----

std::string with_token_url(std::string_view url) {
    return R"({"grant":"client_credentials","client_id":"c","client_secret":"s","token_url":")" +
           std::string(url) + "\"}";
}

TEST(ParseProfile, RefusesPlainHttpToANonLoopbackHost) {
    auto profile = parse(with_token_url("http://idp.example/token"));

    ASSERT_FALSE(profile);
    EXPECT_EQ(profile.error().code, Errc::kInsecureUrl);
    EXPECT_TRUE(contains(profile.error().message, "token_url")) << profile.error().message;
}

// Boost.URL 1.81 parses a host name that starts with a dotted quad, such as
// "127.0.0.1.evil.example", as the IPv4 address 127.0.0.1 followed by the path
// ".evil.example/token". Trusting that split would pass this URL as http:// to loopback and
// send "https://1.2.3.4.example.com/t" to 1.2.3.4. RFC 3986 §3.3 requires the path after an
// authority to be empty or start with "/"; checking that catches the misparse.
TEST(ParseProfile, RefusesPlainHttpToAHostThatOnlyStartsLikeLoopback) {
    auto profile = parse(with_token_url("http://127.0.0.1.evil.example/token"));

    ASSERT_FALSE(profile) << "accepted, with host " << profile->token_url.host();
    EXPECT_TRUE(profile.error().code == Errc::kInsecureUrl ||
                profile.error().code == Errc::kInvalidRequest)
        << profile.error().message;
}

// The same misparse, seen from a name that is not loopback.
TEST(ParseProfile, NeverTakesAHostNameThatStartsWithAnAddressForTheAddress) {
    auto profile = parse(with_token_url("https://1.2.3.4.example.com/token"));

    if (profile) {
        EXPECT_EQ(profile->token_url.host(), "1.2.3.4.example.com")
            << "the token request would go to " << profile->token_url.host();
    }
}

TEST(ParseProfile, AcceptsPlainHttpToLoopback) {
    for (const char* url : {"http://127.0.0.1:8080/token", "http://localhost/token",
                            "http://[::1]:9000/token", "http://127.1.2.3/token"}) {
        auto profile = parse(with_token_url(url));

        ASSERT_TRUE(profile) << url << ": " << profile.error().message;
        EXPECT_EQ(profile->token_url.buffer(), url);
    }
}

TEST(ParseProfile, AcceptsHttps) {
    EXPECT_TRUE(parse(with_token_url("https://idp.example:8443/realms/x/token")));
}

TEST(ParseProfile, RefusesOtherSchemesAsInsecure) {
    auto profile = parse(with_token_url("ftp://idp.example/token"));

    ASSERT_FALSE(profile);
    EXPECT_EQ(profile.error().code, Errc::kInsecureUrl);
}

TEST(ParseProfile, RefusesATokenUrlThatIsNotAnAbsoluteUrl) {
    for (const char* url : {"/token", "idp.example/token", "https://", "not a url"}) {
        auto profile = parse(with_token_url(url));

        ASSERT_FALSE(profile) << url;
        EXPECT_EQ(profile.error().code, Errc::kInvalidRequest) << url;
    }
}

TEST(ParseProfile, RefusesATokenUrlWithAFragment) {
    auto profile = parse(with_token_url("https://idp.example/token#frag"));

    ASSERT_FALSE(profile);
    EXPECT_EQ(profile.error().code, Errc::kInvalidRequest);
}

TEST(ParseProfile, RefusesARedirectUriThatIsNotLoopbackHttp) {
    auto profile = parse(R"({"grant":"authorization_code","token_url":"https://i.example/t",
                             "client_id":"c","authorization_url":"https://i.example/a",
                             "redirect_uri":"https://app.example/cb"})");

    ASSERT_FALSE(profile);
    EXPECT_EQ(profile.error().code, Errc::kInsecureUrl);
    EXPECT_TRUE(contains(profile.error().message, "redirect_uri"));
}

TEST(IsLoopbackHost, AcceptsOnlyLoopbackNamesAndAddresses) {
    EXPECT_TRUE(is_loopback_host("127.0.0.1"));
    EXPECT_TRUE(is_loopback_host("127.255.0.9"));
    EXPECT_TRUE(is_loopback_host("localhost"));
    EXPECT_TRUE(is_loopback_host("::1"));
    EXPECT_TRUE(is_loopback_host("[::1]"));
    EXPECT_FALSE(is_loopback_host("128.0.0.1"));
    EXPECT_FALSE(is_loopback_host("127.0.0.1.nip.io"));
    EXPECT_FALSE(is_loopback_host("localhost.example"));
    EXPECT_FALSE(is_loopback_host("10.0.0.1"));
    EXPECT_FALSE(is_loopback_host(""));
}

// ---- field types ----

struct WrongTypeCase {
    const char* description;
    const char* json;
};

class ParseProfileWrongType : public testing::TestWithParam<WrongTypeCase> {};

TEST_P(ParseProfileWrongType, FailsWithInvalidRequest) {
    auto profile = parse(GetParam().json);

    ASSERT_FALSE(profile);
    EXPECT_EQ(profile.error().code, Errc::kInvalidRequest) << profile.error().message;
}

INSTANTIATE_TEST_SUITE_P(
    EachField, ParseProfileWrongType,
    testing::Values(
        WrongTypeCase{"grant_number", R"({"grant":1,"token_url":"https://i.example/t"})"},
        WrongTypeCase{"token_url_object",
                      R"({"grant":"client_credentials","token_url":{"u":"https://i.example"}})"},
        WrongTypeCase{"client_id_number", R"({"grant":"client_credentials",
                      "token_url":"https://i.example/t","client_id":42,"client_secret":"s"})"},
        WrongTypeCase{"client_secret_array", R"({"grant":"client_credentials",
                      "token_url":"https://i.example/t","client_id":"c","client_secret":["s"]})"},
        WrongTypeCase{"scopes_number", R"({"grant":"client_credentials",
                      "token_url":"https://i.example/t","client_id":"c","client_secret":"s",
                      "scopes":5})"},
        WrongTypeCase{"scopes_array_of_numbers", R"({"grant":"client_credentials",
                      "token_url":"https://i.example/t","client_id":"c","client_secret":"s",
                      "scopes":[1,2]})"},
        WrongTypeCase{"scopes_item_with_space", R"({"grant":"client_credentials",
                      "token_url":"https://i.example/t","client_id":"c","client_secret":"s",
                      "scopes":["read write"]})"},
        WrongTypeCase{"timeout_string", R"({"grant":"client_credentials",
                      "token_url":"https://i.example/t","client_id":"c","client_secret":"s",
                      "timeout_seconds":"30"})"},
        WrongTypeCase{"timeout_zero", R"({"grant":"client_credentials",
                      "token_url":"https://i.example/t","client_id":"c","client_secret":"s",
                      "timeout_seconds":0})"},
        WrongTypeCase{"lifetime_too_long", R"({"grant":"client_credentials",
                      "token_url":"https://i.example/t","client_id":"c","client_secret":"s",
                      "default_lifetime_seconds":86401})"},
        WrongTypeCase{"audience_bool", R"({"grant":"client_credentials",
                      "token_url":"https://i.example/t","client_id":"c","client_secret":"s",
                      "audience":true})"},
        WrongTypeCase{"unknown_client_auth", R"({"grant":"client_credentials",
                      "token_url":"https://i.example/t","client_id":"c","client_secret":"s",
                      "client_auth":"private_key_jwt"})"}),
    [](const testing::TestParamInfo<WrongTypeCase>& test_case) {
        return std::string(test_case.param.description);
    });

TEST(ParseProfile, NamesTheFieldWithTheWrongType) {
    auto profile = parse(R"({"grant":"client_credentials","token_url":"https://i.example/t",
                             "client_id":42,"client_secret":"s"})");

    ASSERT_FALSE(profile);
    EXPECT_TRUE(contains(profile.error().message, "\"client_id\"")) << profile.error().message;
}

// ---- scopes ----

TEST(ParseProfile, ReadsScopesFromAnArray) {
    auto profile = parse(R"({"grant":"client_credentials","token_url":"https://i.example/t",
                             "client_id":"c","client_secret":"s","scopes":["b","a","b"]})");

    ASSERT_TRUE(profile);
    EXPECT_EQ(profile->scopes.to_string(), "a b");
}

TEST(ParseProfile, ReadsScopesFromASpaceSeparatedString) {
    auto profile = parse(R"({"grant":"client_credentials","token_url":"https://i.example/t",
                             "client_id":"c","client_secret":"s","scopes":"b  a"})");

    ASSERT_TRUE(profile);
    EXPECT_EQ(profile->scopes.to_string(), "a b");
}

TEST(ParseProfile, LeavesScopesEmptyWhenAbsent) {
    auto profile = parse(with_token_url("https://i.example/t"));

    ASSERT_TRUE(profile);
    EXPECT_TRUE(profile->scopes.empty());
}

// ---- client authentication ----

TEST(ParseProfile, DefaultsClientAuthToBasicWhenASecretIsGiven) {
    auto profile = parse(kClientCredentials);

    ASSERT_TRUE(profile);
    EXPECT_EQ(profile->client_auth, ClientAuth::kBasic);
}

TEST(ParseProfile, DefaultsClientAuthToNoneWithoutASecret) {
    auto profile = parse(R"({"grant":"password","token_url":"https://i.example/t",
                             "client_id":"public-app","username":"u","password":"p"})");

    ASSERT_TRUE(profile) << profile.error().message;
    EXPECT_EQ(profile->client_auth, ClientAuth::kNone);
}

TEST(ParseProfile, AcceptsTheLongAndShortNamesOfClientAuth) {
    const std::map<std::string, ClientAuth> names{{"client_secret_basic", ClientAuth::kBasic},
                                                  {"basic", ClientAuth::kBasic},
                                                  {"client_secret_post", ClientAuth::kPost},
                                                  {"post", ClientAuth::kPost}};
    for (const auto& [name, expected] : names) {
        auto profile = parse(R"({"grant":"client_credentials","token_url":"https://i.example/t",
                                 "client_id":"c","client_secret":"s","client_auth":")" +
                             name + "\"}");

        ASSERT_TRUE(profile) << name;
        EXPECT_EQ(profile->client_auth, expected) << name;
    }
}

TEST(ClientAuthName, UsesTheRfc7591Names) {
    EXPECT_EQ(client_auth_name(ClientAuth::kBasic), "client_secret_basic");
    EXPECT_EQ(client_auth_name(ClientAuth::kPost), "client_secret_post");
    EXPECT_EQ(client_auth_name(ClientAuth::kNone), "none");
}

TEST(GrantTypeName, UsesTheRfc6749Names) {
    EXPECT_EQ(grant_type_name(GrantType::kClientCredentials), "client_credentials");
    EXPECT_EQ(grant_type_name(GrantType::kPassword), "password");
    EXPECT_EQ(grant_type_name(GrantType::kAuthorizationCode), "authorization_code");
}

// ---- secrets from the environment ----

constexpr std::string_view kSecretFromEnv = R"({
    "grant": "client_credentials", "token_url": "https://i.example/t", "client_id": "c",
    "client_secret_env": "WORK_API_SECRET"
})";

TEST(ParseProfile, ResolvesClientSecretEnvThroughTheInjectedLookup) {
    const ParseOptions options{fake_environment({{"WORK_API_SECRET", "from-env"}})};

    auto profile = parse(kSecretFromEnv, options);

    ASSERT_TRUE(profile) << profile.error().message;
    EXPECT_EQ(profile->client_secret.reveal(), "from-env");
    EXPECT_EQ(profile->client_auth, ClientAuth::kBasic);
}

TEST(ParseProfile, ResolvesPasswordEnvThroughTheInjectedLookup) {
    const ParseOptions options{fake_environment({{"PW", "hunter2"}})};

    auto profile = parse(R"({"grant":"password","token_url":"https://i.example/t",
                             "client_id":"c","username":"u","password_env":"PW"})",
                         options);

    ASSERT_TRUE(profile) << profile.error().message;
    EXPECT_EQ(profile->password.reveal(), "hunter2");
}

TEST(ParseProfile, RefusesAnEnvReferenceWhenNoLookupIsGiven) {
    auto profile = parse(kSecretFromEnv, ParseOptions{});

    ASSERT_FALSE(profile);
    EXPECT_EQ(profile.error().code, Errc::kInvalidRequest);
    EXPECT_TRUE(contains(profile.error().message, "client_secret_env")) << profile.error().message;
}

TEST(ParseProfile, ReportsAnUnsetEnvironmentVariableAsAMissingField) {
    const ParseOptions options{fake_environment({})};

    auto profile = parse(kSecretFromEnv, options);

    ASSERT_FALSE(profile);
    EXPECT_EQ(profile.error().code, Errc::kMissingField);
    EXPECT_TRUE(contains(profile.error().message, "WORK_API_SECRET")) << profile.error().message;
}

TEST(ParseProfile, RefusesASecretGivenBothDirectlyAndThroughTheEnvironment) {
    const ParseOptions options{fake_environment({{"WORK_API_SECRET", "from-env"}})};

    auto profile = parse(R"({"grant":"client_credentials","token_url":"https://i.example/t",
                             "client_id":"c","client_secret":"inline",
                             "client_secret_env":"WORK_API_SECRET"})",
                         options);

    ASSERT_FALSE(profile);
    EXPECT_EQ(profile.error().code, Errc::kInvalidRequest);
    EXPECT_TRUE(contains(profile.error().message, "client_secret_env")) << profile.error().message;
}

TEST(ParseProfile, DoesNotPutTheSecretInAnErrorMessage) {
    auto profile = parse(R"({"grant":"client_credentials","token_url":"http://idp.example/t",
                             "client_id":"c","client_secret":"do-not-print-me"})");

    ASSERT_FALSE(profile);
    EXPECT_FALSE(contains(profile.error().message, "do-not-print-me"));
}

TEST(ProcessEnvironment, ReadsTheRealEnvironment) {
    const EnvLookup env = process_environment();

    EXPECT_TRUE(env("PATH").has_value());
    EXPECT_FALSE(env("VEGHA_UNIT_TEST_SURELY_UNSET_VARIABLE").has_value());
}

// ---- whole configuration ----

TEST(ParseConfig, ReadsSeveralProfilesByName) {
    const auto root = json::parse(R"({"profiles": {
        "ci": {"grant":"client_credentials","token_url":"https://i.example/t",
               "client_id":"ci","client_secret":"s"},
        "me": {"grant":"password","token_url":"http://127.0.0.1:9/t","client_id":"app",
               "username":"u","password":"p"}
    }})")
                          .as_object();

    auto profiles = parse_config(root, {});

    ASSERT_TRUE(profiles) << profiles.error().message;
    ASSERT_EQ(profiles->size(), 2u);
    EXPECT_EQ(profiles->at("ci").name, "ci");
    EXPECT_EQ(profiles->at("ci").grant, GrantType::kClientCredentials);
    EXPECT_EQ(profiles->at("me").name, "me");
    EXPECT_EQ(profiles->at("me").username, "u");
}

TEST(ParseConfig, ReadsNoProfilesFromAConfigWithoutAProfilesSection) {
    auto profiles = parse_config(json::object{}, {});

    ASSERT_TRUE(profiles);
    EXPECT_TRUE(profiles->empty());
}

TEST(ParseConfig, FailsOnTheFirstBadProfileNamingIt) {
    const auto root = json::parse(R"({"profiles": {
        "good": {"grant":"client_credentials","token_url":"https://i.example/t",
                 "client_id":"c","client_secret":"s"},
        "broken": {"grant":"client_credentials","token_url":"https://i.example/t"}
    }})")
                          .as_object();

    auto profiles = parse_config(root, {});

    ASSERT_FALSE(profiles);
    EXPECT_EQ(profiles.error().code, Errc::kMissingField);
    EXPECT_TRUE(contains(profiles.error().message, "broken")) << profiles.error().message;
}

TEST(ParseConfig, RefusesProfilesThatAreNotAnObject) {
    auto profiles = parse_config(json::parse(R"({"profiles":[]})").as_object(), {});

    ASSERT_FALSE(profiles);
    EXPECT_EQ(profiles.error().code, Errc::kInvalidRequest);
}

TEST(ParseConfig, RefusesAProfileThatIsNotAnObject) {
    auto profiles = parse_config(json::parse(R"({"profiles":{"x":"y"}})").as_object(), {});

    ASSERT_FALSE(profiles);
    EXPECT_EQ(profiles.error().code, Errc::kInvalidRequest);
}

TEST(ParseConfig, RefusesAnEmptyProfileName) {
    const auto root = json::parse(R"({"profiles": {"": {"grant":"client_credentials",
        "token_url":"https://i.example/t","client_id":"c","client_secret":"s"}}})")
                          .as_object();

    auto profiles = parse_config(root, {});

    ASSERT_FALSE(profiles);
    EXPECT_EQ(profiles.error().code, Errc::kInvalidRequest);
}

TEST(ParseConfig, PassesTheEnvironmentLookupToEachProfile) {
    const auto root = json::parse(R"({"profiles": {"ci": {"grant":"client_credentials",
        "token_url":"https://i.example/t","client_id":"c","client_secret_env":"S"}}})")
                          .as_object();

    auto profiles = parse_config(root, ParseOptions{fake_environment({{"S", "v"}})});

    ASSERT_TRUE(profiles) << profiles.error().message;
    EXPECT_EQ(profiles->at("ci").client_secret.reveal(), "v");
}

// ---- interactive login and logout ----

constexpr std::string_view kCodeProfileStart = R"({
    "grant": "authorization_code", "token_url": "https://idp.example/token",
    "authorization_url": "https://idp.example/authorize", "client_id": "app",
    "redirect_uri": "http://127.0.0.1/callback")";

Result<Profile> parse_code_profile(std::string_view extra, const ParseOptions& options = {}) {
    return parse(std::string(kCodeProfileStart) + std::string(extra) + "}", options);
}

TEST(ParseLoginFields, DefaultToABrowserLoginOfFiveMinutesWithNothingElseSet) {
    auto profile = parse_code_profile("");

    ASSERT_TRUE(profile) << profile.error().message;
    EXPECT_EQ(profile->login, LoginMethod::kBrowser);
    EXPECT_EQ(profile->login_timeout, std::chrono::seconds(300));
    EXPECT_TRUE(profile->browser_command.empty());
    EXPECT_FALSE(profile->device_authorization_url);
    EXPECT_FALSE(profile->issuer);
    EXPECT_FALSE(profile->revocation_url);
}

TEST(ParseLoginFields, ReadsEveryLoginAndLogoutMember) {
    auto profile = parse_code_profile(R"(,
        "device_authorization_url": "https://idp.example/device/auth",
        "browser_command": ["firefox", "--new-window", "%s"],
        "login_timeout_seconds": 120, "issuer": "https://idp.example",
        "revocation_url": "https://idp.example/revoke")");

    ASSERT_TRUE(profile) << profile.error().message;
    ASSERT_TRUE(profile->device_authorization_url);
    EXPECT_EQ(profile->device_authorization_url->buffer(), "https://idp.example/device/auth");
    EXPECT_EQ(profile->browser_command,
              (std::vector<std::string>{"firefox", "--new-window", "%s"}));
    EXPECT_EQ(profile->login_timeout, std::chrono::seconds(120));
    EXPECT_EQ(profile->issuer, "https://idp.example");
    ASSERT_TRUE(profile->revocation_url);
    EXPECT_EQ(profile->revocation_url->buffer(), "https://idp.example/revoke");
}

TEST(ParseLoginFields, ADeviceLoginNeedsOnlyTheDeviceEndpoint) {
    auto profile = parse(R"({"grant": "authorization_code", "login": "device",
        "token_url": "https://idp.example/token", "client_id": "tv",
        "device_authorization_url": "https://idp.example/device/auth"})");

    ASSERT_TRUE(profile) << profile.error().message;
    EXPECT_EQ(profile->login, LoginMethod::kDevice);
    EXPECT_FALSE(profile->authorization_url);
}

TEST(ParseLoginFields, ADeviceLoginWithoutTheDeviceEndpointIsAMissingField) {
    auto profile = parse_code_profile(R"(, "login": "device")");

    ASSERT_FALSE(profile);
    EXPECT_EQ(profile.error().code, Errc::kMissingField);
    EXPECT_TRUE(contains(profile.error().message, "device_authorization_url"));
}

TEST(ParseLoginFields, RefusesAnUnknownLoginMethod) {
    auto profile = parse_code_profile(R"(, "login": "telepathy")");

    ASSERT_FALSE(profile);
    EXPECT_EQ(profile.error().code, Errc::kInvalidRequest);
    EXPECT_TRUE(contains(profile.error().message, "\"login\""));
}

TEST(ParseLoginFields, RefusesALoginMethodOnAGrantWithoutLogin) {
    auto profile = parse(R"({"grant": "client_credentials", "login": "device",
        "token_url": "https://idp.example/token", "client_id": "svc", "client_secret": "s",
        "device_authorization_url": "https://idp.example/device/auth"})");

    ASSERT_FALSE(profile);
    EXPECT_EQ(profile.error().code, Errc::kInvalidRequest);
    EXPECT_TRUE(contains(profile.error().message, "authorization_code"));
}

TEST(ParseLoginFields, RefusesABrowserCommandThatIsNotANonEmptyArrayOfWords) {
    for (const char* command : {R"("firefox %s")", "[]", R"([""])", R"(["firefox", 3])"}) {
        auto profile = parse_code_profile(std::string(R"(, "browser_command": )") + command);

        ASSERT_FALSE(profile) << command;
        EXPECT_EQ(profile.error().code, Errc::kInvalidRequest) << command;
        EXPECT_TRUE(contains(profile.error().message, "browser_command")) << command;
    }
}

TEST(ParseLoginFields, RefusesABrowserCommandWhereProgramsMayNotBeNamed) {
    ParseOptions inline_options;
    inline_options.allow_browser_command = false;

    auto profile = parse_code_profile(R"(, "browser_command": ["firefox"])", inline_options);

    ASSERT_FALSE(profile);
    EXPECT_EQ(profile.error().code, Errc::kInvalidRequest);
    EXPECT_TRUE(contains(profile.error().message, "configuration file"));
}

TEST(ParseLoginFields, RefusesInsecureDeviceAndRevocationEndpoints) {
    for (const char* field : {"device_authorization_url", "revocation_url"}) {
        auto profile =
            parse_code_profile(std::string(", \"") + field + R"(": "http://idp.example/x")");

        ASSERT_FALSE(profile) << field;
        EXPECT_EQ(profile.error().code, Errc::kInsecureUrl) << field;
        EXPECT_TRUE(contains(profile.error().message, field)) << field;
    }
}

TEST(ParseLoginFields, RefusesAnIssuerThatIsNotAnHttpsUrlWithoutQuery) {
    for (const char* issuer : {"idp.example", "http://idp.example", "https://idp.example?x=1"}) {
        auto profile = parse_code_profile(std::string(R"(, "issuer": ")") + issuer + "\"");

        ASSERT_FALSE(profile) << issuer;
        EXPECT_TRUE(contains(profile.error().message, "issuer")) << issuer;
    }
}

TEST(ParseLoginFields, KeepsALoopbackIssuerAsWritten) {
    auto profile = parse_code_profile(R"(, "issuer": "http://127.0.0.1:4000")");

    ASSERT_TRUE(profile) << profile.error().message;
    EXPECT_EQ(profile->issuer, "http://127.0.0.1:4000");
}

TEST(ParseLoginFields, RefusesALoginTimeoutOutsideOneSecondToOneDay) {
    for (const char* seconds : {"0", "86401", "\"300\""}) {
        auto profile = parse_code_profile(std::string(R"(, "login_timeout_seconds": )") + seconds);

        ASSERT_FALSE(profile) << seconds;
        EXPECT_TRUE(contains(profile.error().message, "login_timeout_seconds")) << seconds;
    }
}

TEST(ParseLoginFields, DoNotChangeTheCacheKey) {
    auto plain = parse_code_profile("");
    auto with_login = parse_code_profile(R"(, "login_timeout_seconds": 60,
        "device_authorization_url": "https://idp.example/device/auth",
        "revocation_url": "https://idp.example/revoke", "issuer": "https://idp.example")");

    ASSERT_TRUE(plain);
    ASSERT_TRUE(with_login);
    EXPECT_EQ(cache_key(*plain), cache_key(*with_login));
}

// ---- cache_key ----

Profile base_profile() {
    return parse(R"({"grant":"password","token_url":"https://i.example/t","client_id":"app",
                     "client_secret":"s","username":"alice","password":"pw",
                     "audience":"api","scopes":["read","write"]})")
        .value();
}

TEST(CacheKey, IsTheSameForEveryOrderAndRepetitionOfScopes) {
    Profile a = base_profile();
    Profile b = base_profile();
    a.scopes = ScopeSet::parse("write read");
    b.scopes = ScopeSet::parse("read write read");

    EXPECT_EQ(cache_key(a), cache_key(b));
}

TEST(CacheKey, IsTheSameForTwoProfilesThatDifferOnlyInName) {
    Profile a = base_profile();
    Profile b = base_profile();
    b.name = "another-name";

    EXPECT_EQ(cache_key(a), cache_key(b));
}

TEST(CacheKey, DiffersForEachFieldThatChangesTheToken) {
    const std::string base = cache_key(base_profile());
    const std::map<std::string, std::function<void(Profile&)>> changes{
        {"client", [](Profile& p) { p.client_id.value = "other-app"; }},
        {"user", [](Profile& p) { p.username = "bob"; }},
        {"audience", [](Profile& p) { p.audience = "other-api"; }},
        {"token url", [](Profile& p) { p.token_url = boost::urls::url("https://j.example/t"); }},
        {"grant", [](Profile& p) { p.grant = GrantType::kClientCredentials; }},
        {"scopes", [](Profile& p) { p.scopes = ScopeSet::parse("read"); }},
        {"client secret", [](Profile& p) { p.client_secret = Secret(std::string_view("s2")); }},
        {"password", [](Profile& p) { p.password = Secret(std::string_view("pw2")); }},
    };
    for (const auto& [what, change] : changes) {
        Profile changed = base_profile();
        change(changed);

        EXPECT_NE(cache_key(changed), base) << "changing the " << what;
    }
}

TEST(CacheKey, DoesNotConfuseFieldBoundaries) {
    Profile a = base_profile();
    Profile b = base_profile();
    a.client_id.value = "a";
    a.username = "bc";
    b.client_id.value = "ab";
    b.username = "c";

    EXPECT_NE(cache_key(a), cache_key(b));
}

TEST(CacheKey, DoesNotConfuseSecretAndPasswordBoundaries) {
    Profile a = base_profile();
    Profile b = base_profile();
    a.client_secret = Secret(std::string_view("s1"));
    a.password = Secret(std::string_view("23"));
    b.client_secret = Secret(std::string_view("s12"));
    b.password = Secret(std::string_view("3"));

    EXPECT_NE(cache_key(a), cache_key(b));
}

TEST(CacheKey, DoesNotContainTheCredentials) {
    Profile p = base_profile();
    p.client_secret = Secret(std::string_view("very-secret-client-secret"));
    p.password = Secret(std::string_view("very-secret-password"));

    const std::string key = cache_key(p);

    EXPECT_FALSE(contains(key, "very-secret-client-secret"));
    EXPECT_FALSE(contains(key, "very-secret-password"));
}

TEST(ParseProfile, ReadsACaBundleForTheProvider) {
    auto profile = parse(R"({"grant":"client_credentials","token_url":"https://i.example/t",
                             "client_id":"c","client_secret":"s","ca_file":"/etc/corp-ca.pem"})");

    ASSERT_TRUE(profile) << profile.error().message;
    EXPECT_EQ(profile->ca_file, "/etc/corp-ca.pem");
    auto request = build_token_request(*profile);
    ASSERT_TRUE(request);
    EXPECT_EQ(request->ca_file, "/etc/corp-ca.pem");
}

}  // namespace
}  // namespace vegha::oauth
