#include "vegha/client.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <boost/json/value.hpp>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "tests/client/fake_daemon.hpp"

namespace vegha::client {
namespace {

namespace json = boost::json;
using testing::error_frame;
using testing::FakeDaemon;
using testing::header_only;
using testing::request_id;
using testing::Response;
using testing::result_frame;

constexpr std::string_view kTokenResult =
    R"({"access_token":"tok-123","token_type":"Bearer","expires_at":1900000000,)"
    R"("expiry_assumed":false,"scope":"read write","id_token":"idt-456"})";

// A short deadline for tests that expect an answer; generous enough for a loaded machine.
ClientOptions options_for(const FakeDaemon& daemon,
                          std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    return ClientOptions{daemon.socket_path(), timeout};
}

TokenRequest profile_request(std::string name) {
    return TokenRequest{std::move(name), {}, std::chrono::seconds(0)};
}

Response token_answer(const json::object& request) {
    return {result_frame(request_id(request), kTokenResult, true)};
}

TEST(ClientGetToken, DecodesEveryMemberOfTheDaemonsAnswer) {
    FakeDaemon daemon(token_answer);
    Client client(options_for(daemon));

    auto token = client.get_token({"work-api", {}, std::chrono::seconds(300)});

    ASSERT_TRUE(token) << token.error().code << ": " << token.error().message;
    EXPECT_EQ(token->access_token, "tok-123");
    EXPECT_EQ(token->token_type, "Bearer");
    EXPECT_EQ(token->expires_at, 1900000000);
    EXPECT_FALSE(token->expiry_assumed);
    EXPECT_EQ(token->scope, "read write");
    EXPECT_EQ(token->id_token, "idt-456");
    EXPECT_TRUE(token->from_cache);
    EXPECT_EQ(token->authorization_header(), "Bearer tok-123");
}

TEST(ClientGetToken, SendsAVersionOneRequestNamingTheProfileAndMinTtl) {
    FakeDaemon daemon(token_answer);
    Client client(options_for(daemon));

    ASSERT_TRUE(client.get_token({"work-api", {}, std::chrono::seconds(300)}));

    const auto requests = daemon.requests();
    ASSERT_EQ(requests.size(), 1U);
    const json::object& request = requests[0];
    EXPECT_EQ(request.at("v"), 1);
    EXPECT_EQ(request.at("op"), "get_token");
    const json::object& params = request.at("params").as_object();
    EXPECT_EQ(params.at("profile"), "work-api");
    EXPECT_EQ(params.at("min_ttl"), 300);
    EXPECT_FALSE(params.contains("config"));
}

TEST(ClientGetToken, SendsAnInlineProfileAsAConfigObject) {
    FakeDaemon daemon(token_answer);
    Client client(options_for(daemon));

    TokenRequest request;
    request.inline_config = R"({"grant":"client_credentials","client_id":"c1"})";
    ASSERT_TRUE(client.get_token(request));

    const auto requests = daemon.requests();
    ASSERT_EQ(requests.size(), 1U);
    const json::object& params = requests[0].at("params").as_object();
    EXPECT_FALSE(params.contains("profile"));
    EXPECT_FALSE(params.contains("min_ttl"));
    ASSERT_TRUE(params.at("config").is_object());
    EXPECT_EQ(params.at("config").at("client_id"), "c1");
}

TEST(ClientGetToken, RefusesAnInlineProfileThatIsNotAnObjectWithoutContactingTheDaemon) {
    FakeDaemon daemon(token_answer);
    Client client(options_for(daemon));

    for (const char* text : {"[1, 2]", "\"profile\"", "{not json", "42"}) {
        TokenRequest request;
        request.inline_config = text;
        auto token = client.get_token(request);
        ASSERT_FALSE(token) << text;
        EXPECT_EQ(token.error().code, "invalid_request") << text;
    }
    EXPECT_EQ(daemon.connections_accepted(), 0);
}

TEST(ClientGetToken, RefusesBothOrNeitherOfProfileAndInlineProfile) {
    FakeDaemon daemon(token_answer);
    Client client(options_for(daemon));

    auto neither = client.get_token(TokenRequest{});
    auto both = client.get_token({"work-api", "{}", std::chrono::seconds(0)});
    auto negative = client.get_token({"work-api", {}, std::chrono::seconds(-1)});

    ASSERT_FALSE(neither);
    ASSERT_FALSE(both);
    ASSERT_FALSE(negative);
    EXPECT_EQ(neither.error().code, "invalid_request");
    EXPECT_EQ(both.error().code, "invalid_request");
    EXPECT_EQ(negative.error().code, "invalid_request");
    EXPECT_EQ(daemon.connections_accepted(), 0);
}

TEST(ClientGetToken, ReportsTheProvidersRefusalInItsOwnWords) {
    FakeDaemon daemon([](const json::object& request) {
        return Response{error_frame(std::to_string(request_id(request)),
                                    R"({"code":"idp_error","message":"the provider refused",)"
                                    R"("error":"invalid_client","error_description":)"
                                    R"("Client authentication failed","http_status":401})")};
    });
    Client client(options_for(daemon));

    auto token = client.get_token(profile_request("work-api"));

    ASSERT_FALSE(token);
    EXPECT_EQ(token.error().code, "idp_error");
    EXPECT_EQ(token.error().message, "the provider refused");
    EXPECT_EQ(token.error().idp_error, "invalid_client");
    EXPECT_EQ(token.error().idp_error_description, "Client authentication failed");
    EXPECT_EQ(token.error().http_status, 401U);
}

TEST(ClientGetToken, KeepsAnErrorCodeThisLibraryDoesNotKnowAsSent) {
    FakeDaemon daemon([](const json::object& request) {
        return Response{error_frame(std::to_string(request_id(request)),
                                    R"({"code":"quota_exceeded","message":"slow down"})")};
    });
    Client client(options_for(daemon));

    auto token = client.get_token(profile_request("work-api"));

    ASSERT_FALSE(token);
    EXPECT_EQ(token.error().code, "quota_exceeded");
    EXPECT_EQ(token.error().message, "slow down");
    EXPECT_TRUE(token.error().idp_error.empty());
}

TEST(ClientGetToken, TakesAnErrorWithNullIdAsTheAnswerToItsRequest) {
    FakeDaemon daemon([](const json::object&) {
        return Response{error_frame("null", R"({"code":"unsupported_version","message":"v?"})")};
    });
    Client client(options_for(daemon));

    auto token = client.get_token(profile_request("work-api"));

    ASSERT_FALSE(token);
    EXPECT_EQ(token.error().code, "unsupported_version");
    EXPECT_EQ(token.error().message, "v?");
}

TEST(ClientGetToken, RefusesAReplyAnnouncingMoreThanOneMebibyte) {
    FakeDaemon daemon([](const json::object&) { return Response{header_only(2 * 1024 * 1024)}; });
    Client client(options_for(daemon));

    auto token = client.get_token(profile_request("work-api"));

    ASSERT_FALSE(token);
    EXPECT_EQ(token.error().code, "frame_too_large");
}

TEST(ClientGetToken, ReceivesATokenOfNearlyOneMebibyteWhole) {
    const std::string big(900 * 1024, 'x');
    FakeDaemon daemon([&big](const json::object& request) {
        return Response{result_frame(request_id(request),
                                     R"({"access_token":")" + big + R"(","expires_at":1})")};
    });
    Client client(options_for(daemon));

    auto token = client.get_token(profile_request("work-api"));

    ASSERT_TRUE(token) << token.error().code << ": " << token.error().message;
    EXPECT_EQ(token->access_token, big);
}

TEST(ClientGetToken, ReportsAReplyCutShortInItsBodyAsMalformed) {
    FakeDaemon daemon([](const json::object&) {
        return Response{header_only(100) + R"({"v":1,"id")", true};
    });
    Client client(options_for(daemon));

    auto token = client.get_token(profile_request("work-api"));

    ASSERT_FALSE(token);
    EXPECT_EQ(token.error().code, "malformed_frame");
}

TEST(ClientGetToken, ReportsAReplyCutShortInItsHeaderAsMalformed) {
    FakeDaemon daemon([](const json::object&) { return Response{std::string(2, '\0'), true}; });
    Client client(options_for(daemon));

    auto token = client.get_token(profile_request("work-api"));

    ASSERT_FALSE(token);
    EXPECT_EQ(token.error().code, "malformed_frame");
}

TEST(ClientGetToken, ReportsAnEmptyFrameAsMalformed) {
    FakeDaemon daemon([](const json::object&) { return Response{header_only(0)}; });
    Client client(options_for(daemon));

    auto token = client.get_token(profile_request("work-api"));

    ASSERT_FALSE(token);
    EXPECT_EQ(token.error().code, "malformed_frame");
}

TEST(ClientGetToken, ReportsABodyThatIsNotAReplyAsMalformed) {
    for (const std::string body :
         {"not json", "[1]", R"({"v":1,"id":1})", R"({"v":1,"id":1,"ok":true,"result":[]})",
          R"({"v":1,"id":1,"ok":false,"error":"bad"})"}) {
        FakeDaemon daemon([&body](const json::object&) {
            return Response{header_only(static_cast<std::uint32_t>(body.size())) + body};
        });
        Client client(options_for(daemon));

        auto token = client.get_token(profile_request("work-api"));

        ASSERT_FALSE(token) << body;
        EXPECT_EQ(token.error().code, "malformed_frame") << body;
    }
}

TEST(ClientGetToken, ReportsATokenResultWithoutAnAccessTokenAsMalformed) {
    FakeDaemon daemon([](const json::object& request) {
        return Response{result_frame(request_id(request), R"({"expires_at":1})")};
    });
    Client client(options_for(daemon));

    auto token = client.get_token(profile_request("work-api"));

    ASSERT_FALSE(token);
    EXPECT_EQ(token.error().code, "malformed_frame");
}

TEST(ClientGetToken, GivesUpWithTimeoutWhenTheDaemonNeverAnswers) {
    FakeDaemon daemon([](const json::object&) { return Response{}; });
    Client client(options_for(daemon, std::chrono::milliseconds(200)));

    const auto start = std::chrono::steady_clock::now();
    auto token = client.get_token(profile_request("work-api"));
    const auto elapsed = std::chrono::steady_clock::now() - start;

    ASSERT_FALSE(token);
    EXPECT_EQ(token.error().code, "timeout");
    EXPECT_GE(elapsed, std::chrono::milliseconds(200));
    EXPECT_LT(elapsed, std::chrono::seconds(5));
}

TEST(ClientGetToken, ReportsDaemonUnavailableWhenNothingListens) {
    std::string path;
    {
        FakeDaemon gone([](const json::object&) { return Response{}; });
        path = gone.socket_path();
    }
    Client client(ClientOptions{path, std::chrono::seconds(10)});

    auto token = client.get_token(profile_request("work-api"));

    ASSERT_FALSE(token);
    EXPECT_EQ(token.error().code, "daemon_unavailable");
    EXPECT_NE(token.error().message.find(path), std::string::npos);
}

TEST(ClientGetToken, ReportsDaemonUnavailableWhenTheDaemonHangsUpWithoutAnswering) {
    FakeDaemon daemon([](const json::object&) { return Response{{}, true}; });
    Client client(options_for(daemon));

    auto token = client.get_token(profile_request("work-api"));

    ASSERT_FALSE(token);
    EXPECT_EQ(token.error().code, "daemon_unavailable");
    // A fresh connection that fails is not retried: the daemon did see the request.
    EXPECT_EQ(daemon.requests().size(), 1U);
}

TEST(ClientGetToken, SurvivesADaemonThatHangsUpWhileARequestIsBeingWritten) {
    // The request is larger than the socket buffer, so the client is still writing when
    // the daemon hangs up; without MSG_NOSIGNAL that write would kill this process.
    FakeDaemon daemon(token_answer, FakeDaemon::Options{.hang_up_on_accept = true});
    Client client(options_for(daemon));

    TokenRequest request;
    request.inline_config = R"({"padding":")" + std::string(900 * 1024, 'p') + R"("})";
    auto token = client.get_token(request);

    ASSERT_FALSE(token);
    EXPECT_EQ(token.error().code, "daemon_unavailable");
}

TEST(ClientGetToken, ReportsAReplyForAnotherRequestAsMalformed) {
    FakeDaemon daemon([](const json::object& request) {
        return Response{result_frame(request_id(request) + 41, kTokenResult)};
    });
    Client client(options_for(daemon));

    auto token = client.get_token(profile_request("work-api"));

    ASSERT_FALSE(token);
    EXPECT_EQ(token.error().code, "malformed_frame");
}

TEST(ClientGetToken, ReportsAnErrorForAnotherRequestAsMalformed) {
    FakeDaemon daemon([](const json::object& request) {
        return Response{error_frame(std::to_string(request_id(request) + 1),
                                    R"({"code":"unknown_profile","message":"no"})")};
    });
    Client client(options_for(daemon));

    auto token = client.get_token(profile_request("work-api"));

    ASSERT_FALSE(token);
    EXPECT_EQ(token.error().code, "malformed_frame");
}

TEST(ClientConnection, CarriesSeveralRequestsWithIncreasingIds) {
    FakeDaemon daemon(token_answer);
    Client client(options_for(daemon));

    ASSERT_TRUE(client.get_token(profile_request("a")));
    ASSERT_TRUE(client.get_token(profile_request("b")));
    ASSERT_TRUE(client.get_token(profile_request("c")));

    const auto requests = daemon.requests();
    ASSERT_EQ(requests.size(), 3U);
    EXPECT_EQ(request_id(requests[1]), request_id(requests[0]) + 1);
    EXPECT_EQ(request_id(requests[2]), request_id(requests[1]) + 1);
    EXPECT_EQ(daemon.connections_accepted(), 1);
}

TEST(ClientConnection, ReconnectsWhenTheDaemonClosedAnIdleConnection) {
    FakeDaemon daemon(token_answer);
    Client client(options_for(daemon));
    ASSERT_TRUE(client.get_token(profile_request("a")));

    daemon.close_connections();
    auto token = client.get_token(profile_request("a"));

    ASSERT_TRUE(token) << token.error().code << ": " << token.error().message;
    EXPECT_EQ(daemon.connections_accepted(), 2);
}

TEST(ClientConnection, RetriesOnceOnAFreshConnectionWhenAKeptOneDiesUnanswered) {
    std::atomic<int> seen = 0;
    FakeDaemon daemon([&seen](const json::object& request) {
        // The second request meets a daemon that closes instead of answering, as one
        // whose idle timer fired just as the request arrived.
        return ++seen == 2 ? Response{{}, true} : token_answer(request);
    });
    Client client(options_for(daemon));
    ASSERT_TRUE(client.get_token(profile_request("a")));

    auto token = client.get_token(profile_request("a"));

    ASSERT_TRUE(token) << token.error().code << ": " << token.error().message;
    EXPECT_EQ(daemon.requests().size(), 3U);
    EXPECT_EQ(daemon.connections_accepted(), 2);
}

TEST(ClientConnection, RetriesNoMoreThanOnce) {
    std::atomic<int> seen = 0;
    FakeDaemon daemon([&seen](const json::object& request) {
        return ++seen == 1 ? token_answer(request) : Response{{}, true};
    });
    Client client(options_for(daemon));
    ASSERT_TRUE(client.get_token(profile_request("a")));

    auto token = client.get_token(profile_request("a"));

    ASSERT_FALSE(token);
    EXPECT_EQ(token.error().code, "daemon_unavailable");
    EXPECT_EQ(daemon.requests().size(), 3U);
}

TEST(ClientConnection, StartsAfreshAfterAMalformedReply) {
    std::atomic<int> seen = 0;
    FakeDaemon daemon([&seen](const json::object& request) {
        return ++seen == 1 ? Response{result_frame(request_id(request) + 1, kTokenResult)}
                           : token_answer(request);
    });
    Client client(options_for(daemon));
    ASSERT_FALSE(client.get_token(profile_request("a")));

    auto token = client.get_token(profile_request("a"));

    ASSERT_TRUE(token) << token.error().code << ": " << token.error().message;
    EXPECT_EQ(daemon.connections_accepted(), 2);
}

TEST(ClientList, DecodesEveryProfile) {
    FakeDaemon daemon([](const json::object& request) {
        return Response{
            result_frame(request_id(request),
                         R"({"profiles":[{"name":"work-api","grant":"client_credentials",)"
                         R"("token_url":"https://idp.example/token","client_id":"c1",)"
                         R"("scopes":["read","write"],"has_token":true,"expires_at":1900000000},)"
                         R"({"name":"other","grant":"refresh_token","token_url":"https://x/t",)"
                         R"("client_id":"c2","scopes":[],"has_token":false}]})")};
    });
    Client client(options_for(daemon));

    auto profiles = client.list();

    ASSERT_TRUE(profiles) << profiles.error().code << ": " << profiles.error().message;
    ASSERT_EQ(profiles->size(), 2U);
    const ProfileSummary& first = (*profiles)[0];
    EXPECT_EQ(first.name, "work-api");
    EXPECT_EQ(first.grant, "client_credentials");
    EXPECT_EQ(first.token_url, "https://idp.example/token");
    EXPECT_EQ(first.client_id, "c1");
    EXPECT_EQ(first.scopes, (std::vector<std::string>{"read", "write"}));
    EXPECT_TRUE(first.has_token);
    EXPECT_EQ(first.expires_at, 1900000000);
    EXPECT_EQ((*profiles)[1].name, "other");
    EXPECT_FALSE((*profiles)[1].has_token);
    EXPECT_FALSE((*profiles)[1].expires_at.has_value());
    EXPECT_EQ(daemon.requests().at(0).at("op"), "list");
}

TEST(ClientList, ReportsAResultWithoutAProfilesArrayAsMalformed) {
    FakeDaemon daemon([](const json::object& request) {
        return Response{result_frame(request_id(request), R"({"profiles":{}})")};
    });
    Client client(options_for(daemon));

    auto profiles = client.list();

    ASSERT_FALSE(profiles);
    EXPECT_EQ(profiles.error().code, "malformed_frame");
}

TEST(ClientStatus, DecodesTheDaemonsCounters) {
    FakeDaemon daemon([](const json::object& request) {
        return Response{
            result_frame(request_id(request),
                         R"({"version":"0.1.0","protocol":1,"pid":4242,"uptime_seconds":61,)"
                         R"("profiles":3,"cached_tokens":2,"provider_requests":7,"connections":1,)"
                         R"("token_store":"memory"})")};
    });
    Client client(options_for(daemon));

    auto status = client.status();

    ASSERT_TRUE(status) << status.error().code << ": " << status.error().message;
    EXPECT_EQ(status->version, "0.1.0");
    EXPECT_EQ(status->protocol, 1);
    EXPECT_EQ(status->pid, 4242);
    EXPECT_EQ(status->uptime_seconds, 61);
    EXPECT_EQ(status->profiles, 3);
    EXPECT_EQ(status->cached_tokens, 2);
    EXPECT_EQ(status->provider_requests, 7);
    EXPECT_EQ(status->connections, 1);
    EXPECT_EQ(status->token_store, "memory");
    EXPECT_EQ(daemon.requests().at(0).at("op"), "status");
}

// ---- interactive logins ----

TEST(ClientLogin, DeliversEachLoginPromptAndKeepsWaitingForTheReply) {
    FakeDaemon daemon([](const json::object& request) {
        const auto id = request_id(request);
        return Response{
            testing::event_frame(id, "login_prompt", R"("url":"https://idp.example/auth?s=1")") +
            testing::event_frame(id, "login_prompt",
                                 R"("url":"https://idp.example/device?c=WDJB","verification_uri":)"
                                 R"("https://idp.example/device","user_code":"WDJB-MJHT")") +
            result_frame(id, kTokenResult)};
    });
    Client client(options_for(daemon));
    std::vector<LoginPrompt> prompts;
    TokenRequest request = profile_request("work-api");
    request.interactive = true;
    request.on_prompt = [&](const LoginPrompt& prompt) { prompts.push_back(prompt); };

    auto token = client.get_token(request);

    ASSERT_TRUE(token) << token.error().code << ": " << token.error().message;
    EXPECT_EQ(token->access_token, "tok-123");
    ASSERT_EQ(prompts.size(), 2U);
    EXPECT_EQ(prompts[0].url, "https://idp.example/auth?s=1");
    EXPECT_TRUE(prompts[0].user_code.empty());
    EXPECT_EQ(prompts[1].verification_uri, "https://idp.example/device");
    EXPECT_EQ(prompts[1].user_code, "WDJB-MJHT");
}

TEST(ClientLogin, SkipsEventsWhenNobodyListensAndEventsItDoesNotKnow) {
    FakeDaemon daemon([](const json::object& request) {
        const auto id = request_id(request);
        return Response{testing::event_frame(id, "login_prompt", R"("url":"https://x/")") +
                        testing::event_frame(id, "from_the_future", "") +
                        result_frame(id, kTokenResult)};
    });
    Client client(options_for(daemon));

    auto token = client.get_token(profile_request("work-api"));

    ASSERT_TRUE(token) << token.error().code << ": " << token.error().message;
    EXPECT_EQ(token->access_token, "tok-123");
}

TEST(ClientLogin, ReportsAnEventForAnotherRequestAsMalformed) {
    FakeDaemon daemon([](const json::object& request) {
        const auto id = request_id(request);
        return Response{testing::event_frame(id + 5, "login_prompt", R"("url":"https://x/")") +
                        result_frame(id, kTokenResult)};
    });
    Client client(options_for(daemon));

    auto token = client.get_token(profile_request("work-api"));

    ASSERT_FALSE(token);
    EXPECT_EQ(token.error().code, "malformed_frame");
}

TEST(ClientLogin, SendsTheRenewalParametersOnlyWhenTheyAreSet) {
    FakeDaemon daemon(token_answer);
    Client client(options_for(daemon));
    TokenRequest request = profile_request("work-api");
    request.interactive = true;
    request.force_refresh = true;
    request.rejected_token = "old-token";

    ASSERT_TRUE(client.get_token(profile_request("work-api")));
    ASSERT_TRUE(client.get_token(request));

    const auto requests = daemon.requests();
    ASSERT_EQ(requests.size(), 2U);
    const auto& plain = requests[0].at("params").as_object();
    EXPECT_FALSE(plain.contains("interactive"));
    EXPECT_FALSE(plain.contains("force_refresh"));
    EXPECT_FALSE(plain.contains("rejected_token"));
    const auto& renewal = requests[1].at("params").as_object();
    EXPECT_EQ(renewal.at("interactive"), true);
    EXPECT_EQ(renewal.at("force_refresh"), true);
    EXPECT_EQ(renewal.at("rejected_token"), "old-token");
}

TEST(ClientLogin, AnInteractiveCallWaitsLongerThanTheOrdinaryTimeout) {
    FakeDaemon daemon([](const json::object& request) {
        // A person signing in; the ordinary 200 ms would have given up long before.
        std::this_thread::sleep_for(std::chrono::milliseconds(600));
        return token_answer(request);
    });
    ClientOptions options = options_for(daemon, std::chrono::milliseconds(200));
    options.login_timeout = std::chrono::seconds(10);
    Client client(options);
    TokenRequest request = profile_request("work-api");
    request.interactive = true;

    auto token = client.get_token(request);

    ASSERT_TRUE(token) << token.error().code << ": " << token.error().message;
}

TEST(ClientLogin, LoginAsksForANewLoginAndReturnsItsToken) {
    FakeDaemon daemon(token_answer);
    Client client(options_for(daemon));
    TokenRequest request = profile_request("work-api");
    request.interactive = true;

    auto token = client.login(request);

    ASSERT_TRUE(token) << token.error().code << ": " << token.error().message;
    EXPECT_EQ(token->access_token, "tok-123");
    const auto sent = daemon.requests().at(0);
    EXPECT_EQ(sent.at("op"), "login");
    EXPECT_EQ(sent.at("params").as_object().at("profile"), "work-api");
}

TEST(ClientLogout, DecodesWhatTheDaemonForgotAndRevoked) {
    FakeDaemon daemon([](const json::object& request) {
        return Response{result_frame(
            request_id(request), R"({"forgotten":true,"revoked":false,"revocation_error":)"
                                 R"({"code":"network_error","message":"connection refused"}})")};
    });
    Client client(options_for(daemon));

    auto result = client.logout(profile_request("work-api"));

    ASSERT_TRUE(result) << result.error().code << ": " << result.error().message;
    EXPECT_TRUE(result->forgotten);
    EXPECT_FALSE(result->revoked);
    EXPECT_EQ(result->revocation_error, "network_error: connection refused");
    const auto sent = daemon.requests().at(0);
    EXPECT_EQ(sent.at("op"), "logout");
    EXPECT_EQ(sent.at("params").as_object(), (json::object{{"profile", "work-api"}}));
}

TEST(ClientResult, ValueThrowsBrokerErrorCarryingTheError) {
    FakeDaemon daemon([](const json::object& request) {
        return Response{error_frame(std::to_string(request_id(request)),
                                    R"({"code":"unknown_profile","message":"no such"})")};
    });

    try {
        (void)get_token("missing", options_for(daemon)).value();
        FAIL() << "value() did not throw";
    } catch (const BrokerError& e) {
        EXPECT_EQ(e.error().code, "unknown_profile");
        EXPECT_EQ(e.error().message, "no such");
    }
}

TEST(ClientFreeGetToken, AsksForTheNamedProfileOverOneConnection) {
    FakeDaemon daemon(token_answer);

    auto token = get_token("work-api", options_for(daemon));

    ASSERT_TRUE(token) << token.error().code << ": " << token.error().message;
    EXPECT_EQ(token->access_token, "tok-123");
    EXPECT_EQ(daemon.requests().at(0).at("params").at("profile"), "work-api");
}

TEST(ClientLifetime, AMovedFromClientFailsInsteadOfCrashing) {
    FakeDaemon daemon(token_answer);
    Client first(options_for(daemon));
    Client second(std::move(first));

    auto from_moved = first.status();  // NOLINT(bugprone-use-after-move): the point here
    auto token = second.get_token(profile_request("a"));

    ASSERT_FALSE(from_moved);
    EXPECT_EQ(from_moved.error().code, "internal_error");
    EXPECT_TRUE(token);
}

TEST(AccessTokenAuthorizationHeader, UsesTheBearerSchemeForAnySpellingOfBearer) {
    AccessToken token;
    token.access_token = "abc";
    for (const char* type : {"", "Bearer", "bearer", "BEARER"}) {
        token.token_type = type;
        EXPECT_EQ(token.authorization_header(), "Bearer abc") << type;
    }
    token.token_type = "DPoP";
    EXPECT_EQ(token.authorization_header(), "DPoP abc");
}

}  // namespace
}  // namespace vegha::client
