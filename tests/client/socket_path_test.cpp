#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <optional>
#include <string>

#include "tests/client/fake_daemon.hpp"
#include "vegha/client.hpp"

namespace vegha::client {
namespace {

namespace json = boost::json;
using testing::FakeDaemon;
using testing::request_id;
using testing::Response;
using testing::result_frame;

// Sets or clears one environment variable for the life of a test, then puts it back.
class ScopedEnv {
public:
    ScopedEnv(const char* name, std::optional<std::string> value) : name_(name) {
        if (const char* old = std::getenv(name)) {
            saved_ = old;
        }
        apply(value);
    }
    ScopedEnv(const ScopedEnv&) = delete;
    ScopedEnv& operator=(const ScopedEnv&) = delete;
    ~ScopedEnv() { apply(saved_); }

private:
    void apply(const std::optional<std::string>& value) {
        if (value) {
            ::setenv(name_, value->c_str(), 1);
        } else {
            ::unsetenv(name_);
        }
    }

    const char* name_;
    std::optional<std::string> saved_;
};

Response status_answer(const json::object& request) {
    return {result_frame(request_id(request), R"({"version":"t","protocol":1})")};
}

TEST(ResolveSocketPath, PrefersTheExplicitPathToEverything) {
    ScopedEnv socket("VEGHA_BROKER_SOCKET", "/env/broker.sock");
    ScopedEnv runtime("XDG_RUNTIME_DIR", "/run/user/1000");

    EXPECT_EQ(resolve_socket_path("/explicit/broker.sock"), "/explicit/broker.sock");
}

TEST(ResolveSocketPath, PrefersTheEnvironmentVariableToTheRuntimeDir) {
    ScopedEnv socket("VEGHA_BROKER_SOCKET", "/env/broker.sock");
    ScopedEnv runtime("XDG_RUNTIME_DIR", "/run/user/1000");

    EXPECT_EQ(resolve_socket_path(), "/env/broker.sock");
}

TEST(ResolveSocketPath, UsesTheRuntimeDirWhenNoVariableNamesTheSocket) {
    ScopedEnv socket("VEGHA_BROKER_SOCKET", std::nullopt);
    ScopedEnv runtime("XDG_RUNTIME_DIR", "/run/user/1000");

    EXPECT_EQ(resolve_socket_path(), "/run/user/1000/vegha-broker/broker.sock");
}

TEST(ResolveSocketPath, DoesNotDoubleATrailingSlashOfTheRuntimeDir) {
    ScopedEnv socket("VEGHA_BROKER_SOCKET", std::nullopt);
    ScopedEnv runtime("XDG_RUNTIME_DIR", "/run/user/1000/");

    EXPECT_EQ(resolve_socket_path(), "/run/user/1000/vegha-broker/broker.sock");
}

TEST(ResolveSocketPath, FallsBackToAFolderInTmpNamedForTheUser) {
    ScopedEnv socket("VEGHA_BROKER_SOCKET", std::nullopt);
    ScopedEnv runtime("XDG_RUNTIME_DIR", std::nullopt);

    EXPECT_EQ(resolve_socket_path(),
              "/tmp/vegha-broker-" + std::to_string(::geteuid()) + "/broker.sock");
}

TEST(ResolveSocketPath, TreatsEmptyVariablesAsUnset) {
    ScopedEnv socket("VEGHA_BROKER_SOCKET", "");
    ScopedEnv runtime("XDG_RUNTIME_DIR", "");

    EXPECT_EQ(resolve_socket_path(""),
              "/tmp/vegha-broker-" + std::to_string(::geteuid()) + "/broker.sock");
}

TEST(ClientSocketPath, FollowsTheEnvironmentVariableWhenNoOptionIsGiven) {
    FakeDaemon daemon(status_answer);
    ScopedEnv socket("VEGHA_BROKER_SOCKET", daemon.socket_path());
    ScopedEnv runtime("XDG_RUNTIME_DIR", "/nonexistent-runtime-dir");
    Client client(ClientOptions{{}, std::chrono::seconds(10)});

    auto status = client.status();

    ASSERT_TRUE(status) << status.error().code << ": " << status.error().message;
    EXPECT_EQ(daemon.connections_accepted(), 1);
}

TEST(ClientSocketPath, PrefersTheOptionToTheEnvironmentVariable) {
    FakeDaemon daemon(status_answer);
    ScopedEnv socket("VEGHA_BROKER_SOCKET", "/nonexistent-dir/broker.sock");
    Client client(ClientOptions{daemon.socket_path(), std::chrono::seconds(10)});

    auto status = client.status();

    ASSERT_TRUE(status) << status.error().code << ": " << status.error().message;
}

TEST(ClientSocketPath, FindsTheDaemonUnderXdgRuntimeDir) {
    FakeDaemon daemon(status_answer);
    ScopedEnv socket("VEGHA_BROKER_SOCKET", std::nullopt);
    ScopedEnv runtime("XDG_RUNTIME_DIR", daemon.runtime_dir());
    Client client(ClientOptions{{}, std::chrono::seconds(10)});

    auto status = client.status();

    ASSERT_TRUE(status) << status.error().code << ": " << status.error().message;
}

TEST(ClientSocketPath, RefusesAPathTooLongForAUnixSocket) {
    Client client(ClientOptions{"/tmp/" + std::string(200, 'x'), std::chrono::seconds(10)});

    auto status = client.status();

    ASSERT_FALSE(status);
    EXPECT_EQ(status.error().code, "invalid_request");
}

}  // namespace
}  // namespace vegha::client
