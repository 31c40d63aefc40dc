// The daemon as a server: hostile and broken input, other users, a second daemon, stale
// sockets, shutdown. None of these needs a token, so no provider is started.

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <vector>

#include "tests/support/broker_env.hpp"
#include "tests/support/raw_ipc.hpp"

namespace vegha::test {
namespace {
namespace fs = std::filesystem;
namespace json = boost::json;

constexpr const char* kEmptyConfig = R"({"profiles": {}})";

json::object parse_reply(const std::optional<std::string>& body) {
    EXPECT_TRUE(body.has_value()) << "no reply frame";
    if (!body) {
        return {};
    }
    return json::parse(*body).as_object();
}

std::string error_code_of(const json::object& reply) {
    const auto* error = reply.if_contains("error");
    return error ? std::string(error->at("code").as_string()) : std::string("(no error)");
}

// True when the daemon still answers a fresh client.
bool still_serving(const Daemon& daemon) {
    RawConnection connection(daemon.socket_path());
    connection.send_frame(R"({"v":1,"id":99,"op":"status"})");
    auto reply = connection.read_frame();
    return reply && json::parse(*reply).at("ok").as_bool();
}

class DaemonTest : public ::testing::Test {
protected:
    Daemon daemon_{kEmptyConfig};
};

TEST_F(DaemonTest, AnswersStatusOverARawFrame) {
    RawConnection connection(daemon_.socket_path());
    connection.send_frame(R"({"v":1,"id":1,"op":"status"})");
    auto reply = parse_reply(connection.read_frame());
    EXPECT_TRUE(reply.at("ok").as_bool());
    EXPECT_EQ(reply.at("id").as_int64(), 1);
    EXPECT_EQ(reply.at("result").at("protocol").as_int64(), 1);
}

TEST_F(DaemonTest, InvalidJsonGetsAnErrorAndTheConnectionStaysUsable) {
    RawConnection connection(daemon_.socket_path());
    connection.send_frame("{not json");
    auto reply = parse_reply(connection.read_frame());
    EXPECT_FALSE(reply.at("ok").as_bool());
    EXPECT_EQ(error_code_of(reply), "malformed_frame");
    EXPECT_TRUE(reply.at("id").is_null());

    connection.send_frame(R"({"v":1,"id":2,"op":"status"})");
    auto next = parse_reply(connection.read_frame());
    EXPECT_TRUE(next.at("ok").as_bool());
}

TEST_F(DaemonTest, AJsonValueThatIsNotAnObjectIsMalformed) {
    RawConnection connection(daemon_.socket_path());
    connection.send_frame(R"([1, 2, 3])");
    EXPECT_EQ(error_code_of(parse_reply(connection.read_frame())), "malformed_frame");
}

TEST_F(DaemonTest, UnknownOperationIsNamedAndTheIdEchoed) {
    RawConnection connection(daemon_.socket_path());
    connection.send_frame(R"({"v":1,"id":41,"op":"make_coffee"})");
    auto reply = parse_reply(connection.read_frame());
    EXPECT_EQ(error_code_of(reply), "unknown_operation");
    EXPECT_EQ(reply.at("id").as_int64(), 41);
    EXPECT_NE(std::string(reply.at("error").at("message").as_string()).find("make_coffee"),
              std::string::npos);
}

TEST_F(DaemonTest, AnotherProtocolVersionIsRefused) {
    RawConnection connection(daemon_.socket_path());
    connection.send_frame(R"({"v":2,"id":1,"op":"status"})");
    EXPECT_EQ(error_code_of(parse_reply(connection.read_frame())), "unsupported_version");
}

TEST_F(DaemonTest, GetTokenWithNeitherProfileNorConfigIsAnInvalidRequest) {
    RawConnection connection(daemon_.socket_path());
    connection.send_frame(R"({"v":1,"id":1,"op":"get_token","params":{}})");
    EXPECT_EQ(error_code_of(parse_reply(connection.read_frame())), "invalid_request");
}

TEST_F(DaemonTest, InlineConfigWithAMissingFieldNamesTheField) {
    RawConnection connection(daemon_.socket_path());
    connection.send_frame(R"({"v":1,"id":1,"op":"get_token","params":{"config":
        {"grant":"password","token_url":"https://idp.example/token","client_id":"c",
         "username":"u"}}})");
    auto reply = parse_reply(connection.read_frame());
    EXPECT_EQ(error_code_of(reply), "missing_field");
    EXPECT_NE(std::string(reply.at("error").at("message").as_string()).find("\"password\""),
              std::string::npos);
}

TEST_F(DaemonTest, PlainHttpToARemoteHostIsRefusedBeforeAnyRequest) {
    RawConnection connection(daemon_.socket_path());
    connection.send_frame(R"({"v":1,"id":1,"op":"get_token","params":{"config":
        {"grant":"client_credentials","token_url":"http://idp.example/token",
         "client_id":"c","client_secret":"s"}}})");
    EXPECT_EQ(error_code_of(parse_reply(connection.read_frame())), "insecure_url");
}

TEST_F(DaemonTest, AFrameOverTheCapIsRefusedAndTheConnectionClosed) {
    RawConnection connection(daemon_.socket_path());
    connection.send_raw(std::string("\x00\x20\x00\x01", 4));  // 2 MiB + 1
    auto reply = parse_reply(connection.read_frame());
    EXPECT_EQ(error_code_of(reply), "frame_too_large");
    EXPECT_FALSE(connection.read_frame(std::chrono::seconds(5)));
    EXPECT_TRUE(connection.closed_by_peer());
    EXPECT_TRUE(still_serving(daemon_));
}

TEST_F(DaemonTest, AnEmptyFrameIsMalformedAndTheConnectionClosed) {
    RawConnection connection(daemon_.socket_path());
    connection.send_raw(std::string(4, '\0'));
    EXPECT_EQ(error_code_of(parse_reply(connection.read_frame())), "malformed_frame");
    EXPECT_FALSE(connection.read_frame(std::chrono::seconds(5)));
    EXPECT_TRUE(connection.closed_by_peer());
}

TEST_F(DaemonTest, ATruncatedFrameClosesOnlyThatConnection) {
    RawConnection bystander(daemon_.socket_path());
    RawConnection connection(daemon_.socket_path());
    connection.send_raw(std::string("\x00\x00\x00\x64", 4) + "{\"v\":1,");  // 100 announced
    connection.shutdown_write();
    EXPECT_FALSE(connection.read_frame(std::chrono::seconds(5)));
    EXPECT_TRUE(connection.closed_by_peer());

    bystander.send_frame(R"({"v":1,"id":5,"op":"status"})");
    EXPECT_TRUE(parse_reply(bystander.read_frame()).at("ok").as_bool());
    EXPECT_TRUE(still_serving(daemon_));
}

TEST_F(DaemonTest, PipelinedRequestsAreAnsweredInOrder) {
    RawConnection connection(daemon_.socket_path());
    std::string both;
    for (const char* body : {R"({"v":1,"id":1,"op":"status"})", R"({"v":1,"id":2,"op":"list"})"}) {
        const auto n = static_cast<std::uint32_t>(std::strlen(body));
        both += std::string{static_cast<char>(n >> 24), static_cast<char>(n >> 16),
                            static_cast<char>(n >> 8), static_cast<char>(n)};
        both += body;
    }
    connection.send_raw(both);
    EXPECT_EQ(parse_reply(connection.read_frame()).at("id").as_int64(), 1);
    EXPECT_EQ(parse_reply(connection.read_frame()).at("id").as_int64(), 2);
}

TEST_F(DaemonTest, ManyConcurrentConnectionsAreAllServed) {
    std::vector<std::unique_ptr<RawConnection>> connections;
    for (int i = 0; i < 64; ++i) {
        connections.push_back(std::make_unique<RawConnection>(daemon_.socket_path()));
        ASSERT_TRUE(connections.back()->connected());
    }
    for (std::size_t i = 0; i < connections.size(); ++i) {
        connections[i]->send_frame(R"({"v":1,"id":)" + std::to_string(i) + R"(,"op":"status"})");
    }
    for (std::size_t i = 0; i < connections.size(); ++i) {
        auto reply = parse_reply(connections[i]->read_frame());
        EXPECT_EQ(reply.at("id").as_int64(), static_cast<std::int64_t>(i));
    }
}

TEST_F(DaemonTest, SocketAndFolderArePrivate) {
    struct stat folder {};
    struct stat socket {};
    ASSERT_EQ(::stat(daemon_.socket_path().parent_path().c_str(), &folder), 0);
    ASSERT_EQ(::stat(daemon_.socket_path().c_str(), &socket), 0);
    EXPECT_EQ(folder.st_mode & 0777, 0700u);
    EXPECT_EQ(socket.st_mode & 0777, 0600u);
}

TEST_F(DaemonTest, AnotherUserIsRefusedEvenWhenTheSocketIsReachable) {
    if (::geteuid() != 0) {
        GTEST_SKIP() << "needs root to run a client as another user";
    }
    // Open the folder and socket so the kernel lets the other user connect; the daemon's
    // own peer check must still refuse it.
    fs::permissions(daemon_.socket_path().parent_path(), fs::perms::all);
    fs::permissions(daemon_.socket_path(), fs::perms::all);
    fs::permissions(daemon_.folder(),
                    fs::perms::owner_all | fs::perms::others_exec | fs::perms::group_exec);

    constexpr uid_t kNobody = 65534;
    auto result = run_command(ProcessOptions{
        .argv = {token_cli_path().string(), "--socket", daemon_.socket_path().string(), "status"},
        .uid = kNobody,
    });
    EXPECT_NE(result.exit_code, 0);
    EXPECT_NE(result.err.find("permission_denied"), std::string::npos) << result.err;
    // Both sides refuse: the client (the daemon is not its user's) and the daemon (the
    // peer is not its user), which says so in its log.
    EXPECT_TRUE(wait_until([&] { return daemon_.log().find("refused peer") != std::string::npos; },
                           std::chrono::seconds(5)));
    EXPECT_TRUE(still_serving(daemon_));
}

TEST(ClientPeerCheckTest, AClientRefusesASocketServedByAnotherUser) {
    if (::geteuid() != 0) {
        GTEST_SKIP() << "needs root to serve a socket as another user";
    }
    // Another user's daemon where this user's socket would be: the squatter a shared /tmp
    // allows. The client must not send it a request (which may carry secrets).
    constexpr uid_t kNobody = 65534;
    TempDir dir;
    fs::permissions(dir.path(), fs::perms::all);
    const fs::path run = dir.path() / "run";
    fs::create_directory(run);
    ASSERT_EQ(::chown(run.c_str(), kNobody, kNobody), 0);
    const fs::path config = dir.path() / "config.json";
    std::ofstream(config) << kEmptyConfig;
    fs::permissions(config, fs::perms::owner_read | fs::perms::others_read);
    const fs::path socket_path = run / "broker.sock";
    Process squatter(ProcessOptions{
        .argv = {brokerd_path().string(), "--config", config.string(), "--socket",
                 socket_path.string(), "--token-store", "memory"},
        .env = {{"HOME", dir.path().string()}},
        .stderr_path = dir.path() / "squatter.log",
        .uid = kNobody,
    });
    ASSERT_TRUE(wait_until([&] { return socket_accepts(socket_path); }, std::chrono::seconds(20)))
        << read_file(dir.path() / "squatter.log");

    auto result = run_command(ProcessOptions{
        .argv = {token_cli_path().string(), "--socket", socket_path.string(), "status"},
    });
    EXPECT_NE(result.exit_code, 0);
    EXPECT_NE(result.err.find("permission_denied"), std::string::npos) << result.err;
    EXPECT_NE(result.err.find("not by you"), std::string::npos) << result.err;
}

TEST_F(DaemonTest, ASecondDaemonDoesNotStealALiveSocket) {
    TempDir dir;
    const fs::path config = dir.path() / "config.json";
    std::ofstream(config) << kEmptyConfig;
    auto second = run_command(ProcessOptions{
        .argv = {brokerd_path().string(), "--config", config.string(), "--socket",
                 daemon_.socket_path().string()},
    });
    EXPECT_EQ(second.exit_code, 1);
    EXPECT_NE(second.err.find("already serving"), std::string::npos) << second.err;
    EXPECT_TRUE(still_serving(daemon_));
}

TEST_F(DaemonTest, SigtermStopsTheDaemonAndRemovesItsSocket) {
    daemon_.process().signal(SIGTERM);
    EXPECT_EQ(daemon_.process().wait(std::chrono::seconds(10)), 0);
    EXPECT_FALSE(fs::exists(daemon_.socket_path()));
}

TEST(DaemonStartTest, AStaleSocketFileLeftByACrashIsReplaced) {
    TempDir dir;
    const fs::path socket_path = dir.path() / "run" / "broker.sock";
    fs::create_directories(socket_path.parent_path());
    fs::permissions(socket_path.parent_path(), fs::perms::owner_all);
    {
        // A socket file nobody listens on any more, as a killed daemon leaves behind.
        const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
        sockaddr_un address{};
        address.sun_family = AF_UNIX;
        std::strncpy(address.sun_path, socket_path.c_str(), sizeof(address.sun_path) - 1);
        ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
        ::close(fd);
    }
    ASSERT_TRUE(fs::exists(socket_path));
    ASSERT_FALSE(socket_accepts(socket_path));

    const fs::path config = dir.path() / "config.json";
    std::ofstream(config) << kEmptyConfig;
    Process daemon(ProcessOptions{
        .argv = {brokerd_path().string(), "--config", config.string(), "--socket",
                 socket_path.string()},
        .stderr_path = dir.path() / "daemon.log",
    });
    EXPECT_TRUE(wait_until([&] { return socket_accepts(socket_path); }, std::chrono::seconds(20)))
        << read_file(dir.path() / "daemon.log");
}

TEST(DaemonStartTest, AConfigurationFileNamedOnTheCommandLineMustExist) {
    TempDir dir;
    const fs::path missing = dir.path() / "confg.json";
    auto result = run_command(ProcessOptions{
        .argv = {brokerd_path().string(), "--config", missing.string(), "--socket",
                 (dir.path() / "broker.sock").string()},
    });
    EXPECT_EQ(result.exit_code, 1);
    EXPECT_NE(result.err.find("does not exist"), std::string::npos) << result.err;
}

TEST(DaemonStartTest, AnInvalidProfileStopsTheDaemonWithTheFieldNamed) {
    TempDir dir;
    const fs::path config = dir.path() / "config.json";
    std::ofstream(config) << R"({"profiles": {"broken": {"grant": "client_credentials",
        "token_url": "https://idp.example/token", "client_id": "c"}}})";
    auto result = run_command(ProcessOptions{
        .argv = {brokerd_path().string(), "--config", config.string(), "--socket",
                 (dir.path() / "broker.sock").string()},
    });
    EXPECT_EQ(result.exit_code, 1);
    EXPECT_NE(result.err.find("client_secret"), std::string::npos) << result.err;
    EXPECT_NE(result.err.find("broken"), std::string::npos) << result.err;
}

}  // namespace
}  // namespace vegha::test
