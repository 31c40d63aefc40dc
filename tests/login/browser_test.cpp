#include "login/browser.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "support/printers.hpp"

namespace vegha::login {
namespace {
namespace fs = std::filesystem;
using Commands = std::vector<std::vector<std::string>>;

// Characters a shell would act on: if any of this ran, `pwned` would appear.
const std::string kNastyUrl =
    "http://127.0.0.1:1/auth?a=1&b=$(touch pwned);touch pwned `touch pwned` 'q\" %41";

std::string read_all(const fs::path& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

bool wait_for_file(const fs::path& path) {
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < until) {
        if (fs::exists(path) && fs::file_size(path) > 0) {
            return true;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
}

// The children of this process that have exited but were never waited for.
int zombie_children() {
    int zombies = 0;
    for (const auto& entry : fs::directory_iterator("/proc")) {
        const std::string stat = read_all(entry.path() / "stat");
        const auto close = stat.rfind(')');
        if (close == std::string::npos) {
            continue;
        }
        std::istringstream rest(stat.substr(close + 2));
        char state = 0;
        int parent = 0;
        rest >> state >> parent;
        zombies += state == 'Z' && parent == ::getpid() ? 1 : 0;
    }
    return zombies;
}

class BrowserLaunchTest : public testing::Test {
protected:
    BrowserLaunchTest() {
        dir_ = fs::temp_directory_path() /
               ("vegha-browser-" + std::to_string(::getpid()) + "-" + std::to_string(counter_++));
        fs::create_directories(dir_);
        saved_browser_ = std::getenv("BROWSER") ? std::getenv("BROWSER") : "";
        had_browser_ = std::getenv("BROWSER") != nullptr;
        ::unsetenv("BROWSER");
    }

    ~BrowserLaunchTest() override {
        if (had_browser_) {
            ::setenv("BROWSER", saved_browser_.c_str(), 1);
        } else {
            ::unsetenv("BROWSER");
        }
        std::error_code ignored;
        fs::remove_all(dir_, ignored);
    }

    // A fake browser that writes its argument count and arguments, one a line, to `out`.
    fs::path recorder(const std::string& name = "record") {
        const fs::path script = dir_ / name;
        std::ofstream(script) << "#!/bin/sh\ncd \"" << dir_.string()
                              << "\"\nprintf '%s\\n' \"$#\" \"$@\" > out.tmp && mv out.tmp out\n";
        fs::permissions(script, fs::perms::owner_all);
        return script;
    }

    fs::path dir_;
    std::string saved_browser_;
    bool had_browser_ = false;
    static inline int counter_ = 0;
};

TEST(BrowserCommandsTest, AppendsTheUrlToAConfiguredCommandWithoutPlaceholder) {
    EXPECT_EQ(browser_commands({"firefox", "--new-window"}, "ignored", "http://u"),
              (Commands{{"firefox", "--new-window", "http://u"}}));
}

TEST(BrowserCommandsTest, FillsInPlaceholdersAndEscapedPercents) {
    EXPECT_EQ(browser_commands({"run", "--url=%s", "100%%"}, "", "http://u"),
              (Commands{{"run", "--url=http://u", "100%"}}));
}

TEST(BrowserCommandsTest, SplitsBrowserVariableIntoEntriesAndWords) {
    EXPECT_EQ(browser_commands({}, "firefox -P work %s::lynx", "http://u"),
              (Commands{{"firefox", "-P", "work", "http://u"}, {"lynx", "http://u"}}));
}

TEST(BrowserCommandsTest, FallsBackToThePlatformOpener) {
    EXPECT_EQ(browser_commands({}, "", "http://u"), (Commands{{"xdg-open", "http://u"}}));
}

TEST_F(BrowserLaunchTest, PassesTheUrlAsOneArgumentWithoutAShell) {
    ASSERT_TRUE(open_browser({recorder().string()}, kNastyUrl));

    ASSERT_TRUE(wait_for_file(dir_ / "out"));
    EXPECT_EQ(read_all(dir_ / "out"), "1\n" + kNastyUrl + "\n");
    EXPECT_FALSE(fs::exists(dir_ / "pwned"));
}

TEST_F(BrowserLaunchTest, UsesTheFirstBrowserVariableEntryThatStarts) {
    const std::string entries = "/nonexistent/browser:" + recorder().string() + " --flag %s";
    ::setenv("BROWSER", entries.c_str(), 1);

    ASSERT_TRUE(open_browser({}, "http://127.0.0.1/x"));

    ASSERT_TRUE(wait_for_file(dir_ / "out"));
    EXPECT_EQ(read_all(dir_ / "out"), "2\n--flag\nhttp://127.0.0.1/x\n");
}

TEST_F(BrowserLaunchTest, ConfigurationWinsOverTheBrowserVariable) {
    ::setenv("BROWSER", "/nonexistent/browser", 1);

    ASSERT_TRUE(open_browser({recorder().string()}, "http://127.0.0.1/x"));
    ASSERT_TRUE(wait_for_file(dir_ / "out"));
}

TEST_F(BrowserLaunchTest, ReportsACommandThatCannotStart) {
    auto opened = open_browser({"/nonexistent/browser"}, "http://127.0.0.1/x");

    ASSERT_FALSE(opened);
    EXPECT_EQ(opened.error().code, Errc::kInvalidRequest);
    EXPECT_NE(opened.error().message.find("/nonexistent/browser"), std::string::npos);
    EXPECT_EQ(opened.error().message.find("127.0.0.1/x"), std::string::npos);
}

TEST_F(BrowserLaunchTest, LeavesNoZombieBehind) {
    ASSERT_TRUE(open_browser({"/bin/true"}, "http://127.0.0.1/x"));
    ASSERT_TRUE(open_browser({"/bin/false"}, "http://127.0.0.1/x"));

    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (zombie_children() > 0 && std::chrono::steady_clock::now() < until) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    EXPECT_EQ(zombie_children(), 0);
}

TEST_F(BrowserLaunchTest, TheBrowserInheritsNoSocket) {
    // No SOCK_CLOEXEC, as Asio opens them; moved high, clear of what the shell opens itself.
    const int socket_fd = ::socket(AF_INET, SOCK_STREAM, 0);
    const int leaky = ::fcntl(socket_fd, F_DUPFD, 200);
    ::close(socket_fd);
    ASSERT_GE(leaky, 200);
    const fs::path script = dir_ / "fds";
    std::ofstream(script) << "#!/bin/sh\nif [ -e /proc/$$/fd/$1 ]; then r=inherited; else "
                             "r=clean; fi\necho $r > \""
                          << (dir_ / "out").string() << "\"\n";
    fs::permissions(script, fs::perms::owner_all);

    ASSERT_TRUE(open_browser({script.string(), std::to_string(leaky)}, "http://127.0.0.1/x"));

    ASSERT_TRUE(wait_for_file(dir_ / "out"));
    EXPECT_EQ(read_all(dir_ / "out"), "clean\n");
    ::close(leaky);
}

}  // namespace
}  // namespace vegha::login
