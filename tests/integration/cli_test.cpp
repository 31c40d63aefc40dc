// vegha-token as a shell script runs it: real daemon, real provider, exit codes and output.

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <fstream>

#include "tests/integration/demo_profiles.hpp"
#include "tests/support/broker_env.hpp"

namespace vegha::test {
namespace {
namespace json = boost::json;

class CliTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        idp_ = new DemoIdp();
        daemon_ = new Daemon(demo_config(*idp_), demo_env());
    }
    static void TearDownTestSuite() {
        delete daemon_;
        delete idp_;
    }

    static CommandResult vegha_token(std::vector<std::string> args) {
        std::vector<std::string> argv{token_cli_path().string(), "--socket",
                                      daemon_->socket_path().string()};
        argv.insert(argv.end(), args.begin(), args.end());
        return run_command(ProcessOptions{.argv = std::move(argv)});
    }

    static DemoIdp* idp_;
    static Daemon* daemon_;
};

DemoIdp* CliTest::idp_ = nullptr;
Daemon* CliTest::daemon_ = nullptr;

TEST_F(CliTest, GetPrintsTheBareTokenAndNothingElse) {
    auto result = vegha_token({"get", "service"});
    ASSERT_EQ(result.exit_code, 0) << result.err;
    ASSERT_FALSE(result.out.empty());
    EXPECT_EQ(result.out.back(), '\n');
    const std::string token = result.out.substr(0, result.out.size() - 1);
    EXPECT_EQ(token.find_first_of(" \n\t"), std::string::npos);
    EXPECT_GE(token.size(), 20u);
}

TEST_F(CliTest, HeaderFormatIsAnAuthorizationLine) {
    auto token = vegha_token({"get", "service"});
    auto header = vegha_token({"get", "service", "--format", "header"});
    ASSERT_EQ(header.exit_code, 0) << header.err;
    EXPECT_EQ(header.out, "Authorization: Bearer " + token.out);
}

TEST_F(CliTest, JsonFormatReportsACacheHit) {
    ASSERT_EQ(vegha_token({"get", "alice"}).exit_code, 0);
    const int before = idp_->counters().token_requests;

    auto result = vegha_token({"get", "alice", "--format", "json"});
    ASSERT_EQ(result.exit_code, 0) << result.err;
    const json::object reply = json::parse(result.out).as_object();
    EXPECT_TRUE(reply.at("cached").as_bool());
    EXPECT_EQ(reply.at("token_type").as_string(), "Bearer");
    EXPECT_EQ(reply.at("scope").as_string(), "api:read offline_access openid");
    EXPECT_EQ(idp_->counters().token_requests, before);
}

TEST_F(CliTest, InlineProfileFromAFile) {
    TempDir dir;
    const auto path = dir.path() / "profile.json";
    std::ofstream(path) << R"({"grant": "client_credentials", "token_url": ")" + idp_->token_url() +
                               R"(", "client_id": "demo-service-post", "client_secret": ")" +
                               kPostSecret + R"(", "client_auth": "client_secret_post"})";
    auto result = vegha_token({"get", "--inline", path.string()});
    EXPECT_EQ(result.exit_code, 0) << result.err;
    EXPECT_FALSE(result.out.empty());
}

TEST_F(CliTest, ProviderRefusalExitsWithFourAndShowsTheProvidersError) {
    auto result = vegha_token({"get", "wrong-secret"});
    EXPECT_EQ(result.exit_code, 4);
    EXPECT_NE(result.err.find("invalid_client"), std::string::npos) << result.err;
    EXPECT_TRUE(result.out.empty());
}

TEST_F(CliTest, UnknownProfileExitsWithSix) {
    auto result = vegha_token({"get", "nope"});
    EXPECT_EQ(result.exit_code, 6);
    EXPECT_NE(result.err.find("unknown_profile"), std::string::npos) << result.err;
}

TEST_F(CliTest, UnreachableProviderExitsWithSeven) {
    EXPECT_EQ(vegha_token({"get", "unreachable"}).exit_code, 7);
}

TEST_F(CliTest, NoDaemonExitsWithThree) {
    TempDir dir;
    auto result = run_command(ProcessOptions{
        .argv = {token_cli_path().string(), "--socket", (dir.path() / "none.sock").string(), "get",
                 "service"},
    });
    EXPECT_EQ(result.exit_code, 3);
    EXPECT_NE(result.err.find("daemon_unavailable"), std::string::npos) << result.err;
}

TEST_F(CliTest, BadCommandLineExitsWithTwo) {
    EXPECT_EQ(vegha_token({"get", "service", "--format", "yaml"}).exit_code, 2);
}

TEST_F(CliTest, ListShowsEveryProfile) {
    auto result = vegha_token({"list"});
    ASSERT_EQ(result.exit_code, 0) << result.err;
    for (const char* name : {"service", "alice", "spaced-client", "browser-login"}) {
        EXPECT_NE(result.out.find(name), std::string::npos) << name;
    }
    EXPECT_EQ(result.out.find(kServiceSecret), std::string::npos);
}

TEST_F(CliTest, StatusAsJsonNamesTheProtocol) {
    auto result = vegha_token({"status", "--format", "json"});
    ASSERT_EQ(result.exit_code, 0) << result.err;
    EXPECT_EQ(json::parse(result.out).at("protocol").as_int64(), 1);
}

}  // namespace
}  // namespace vegha::test
