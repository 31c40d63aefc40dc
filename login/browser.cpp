#include "login/browser.hpp"

#ifdef _WIN32
// windows.h must come first: shellapi.h relies on its definitions.
// clang-format off
#include <windows.h>
#include <shellapi.h>
// clang-format on
#else
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>
#endif

#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <thread>

#include "core/log.hpp"

#ifndef _WIN32
extern char** environ;
#endif

namespace vegha::login {
namespace {

std::shared_ptr<spdlog::logger> logger() {
    static const auto instance = log::logger("login");
    return instance;
}

std::vector<std::string> split(std::string_view text, char separator) {
    std::vector<std::string> parts;
    std::size_t start = 0;
    while (start <= text.size()) {
        const std::size_t end = std::min(text.find(separator, start), text.size());
        if (end > start) {
            parts.emplace_back(text.substr(start, end - start));
        }
        start = end + 1;
    }
    return parts;
}

// Fills in "%s" and "%%" (the $BROWSER convention); appends the URL when there is no "%s".
std::vector<std::string> with_url(const std::vector<std::string>& words, const std::string& url) {
    std::vector<std::string> argv;
    bool placed = false;
    for (const auto& word : words) {
        std::string out;
        for (std::size_t i = 0; i < word.size(); ++i) {
            if (word[i] == '%' && i + 1 < word.size() && word[i + 1] == 's') {
                out += url;
                placed = true;
                ++i;
            } else if (word[i] == '%' && i + 1 < word.size() && word[i + 1] == '%') {
                out += '%';
                ++i;
            } else {
                out += word[i];
            }
        }
        argv.push_back(std::move(out));
    }
    if (!placed) {
        argv.push_back(url);
    }
    return argv;
}

std::string describe(const std::vector<std::string>& argv) {
    // The program name only: the arguments hold the URL, whose query carries the state.
    return argv.empty() ? std::string("(empty)") : argv.front();
}

#ifndef _WIN32

// Waits for the program on a thread of its own, so the I/O thread never blocks and the
// child never lingers as a zombie. Openers such as xdg-open exit within moments; a
// browser run directly lives as long as the user keeps it, and so does its thread.
void reap_later(pid_t pid, std::string program) {
    // The thread holds its own reference to the logger, which may outlive static teardown.
    std::thread([pid, program = std::move(program), log = logger()] {
        int status = 0;
        while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
        }
        if (WIFEXITED(status) && WEXITSTATUS(status) != 0) {
            log->warn("the browser command {} exited with status {}", program, WEXITSTATUS(status));
        }
    }).detach();
}

// posix_spawnp rather than fork+exec: no async-signal-safety hazards in a threaded daemon,
// and glibc reports a program that could not be executed as an error here.
int spawn(const std::vector<std::string>& argv, pid_t& pid) {
    std::vector<char*> args;
    for (const auto& arg : argv) {
        args.push_back(const_cast<char*>(arg.c_str()));
    }
    args.push_back(nullptr);

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 34))
    // Asio opens sockets without FD_CLOEXEC: without this the browser would inherit the
    // daemon's sockets and keep them (and their ports) alive after the daemon closes them.
    posix_spawn_file_actions_addclosefrom_np(&actions, STDERR_FILENO + 1);
#endif

    posix_spawnattr_t attributes;
    posix_spawnattr_init(&attributes);
    sigset_t none;
    sigset_t all;
    sigemptyset(&none);
    sigfillset(&all);
    posix_spawnattr_setsigmask(&attributes, &none);
    posix_spawnattr_setsigdefault(&attributes, &all);
    short flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF;
#ifdef POSIX_SPAWN_SETSID
    // Its own session: a Ctrl-C meant for a daemon run in a terminal leaves the browser be.
    flags |= POSIX_SPAWN_SETSID;
#endif
#ifdef POSIX_SPAWN_CLOEXEC_DEFAULT
    flags |= POSIX_SPAWN_CLOEXEC_DEFAULT;  // macOS: the same guard as closefrom above
#endif
    posix_spawnattr_setflags(&attributes, flags);

    const int rc = ::posix_spawnp(&pid, args[0], &actions, &attributes, args.data(), environ);
    posix_spawnattr_destroy(&attributes);
    posix_spawn_file_actions_destroy(&actions);
    return rc;
}

#endif

}  // namespace

std::vector<std::vector<std::string>> browser_commands(const std::vector<std::string>& configured,
                                                       std::string_view browser_env,
                                                       const std::string& url) {
    std::vector<std::vector<std::string>> commands;
    if (!configured.empty()) {
        commands.push_back(with_url(configured, url));
        return commands;
    }
    for (const auto& entry : split(browser_env, ':')) {
        auto words = split(entry, ' ');
        if (!words.empty()) {
            commands.push_back(with_url(words, url));
        }
    }
    if (!commands.empty()) {
        return commands;
    }
#if defined(__APPLE__)
    commands.push_back({"open", url});
#elif !defined(_WIN32)
    commands.push_back({"xdg-open", url});
#endif
    return commands;
}

Result<void> open_browser(const std::vector<std::string>& configured, const std::string& url) {
    const char* env = std::getenv("BROWSER");
    const auto commands = browser_commands(configured, env ? env : "", url);

#ifdef _WIN32
    if (commands.empty()) {
        const int wide_size = MultiByteToWideChar(CP_UTF8, 0, url.c_str(), -1, nullptr, 0);
        std::wstring wide(static_cast<std::size_t>(wide_size), L'\0');
        MultiByteToWideChar(CP_UTF8, 0, url.c_str(), -1, wide.data(), wide_size);
        const auto rc = reinterpret_cast<INT_PTR>(
            ShellExecuteW(nullptr, L"open", wide.c_str(), nullptr, nullptr, SW_SHOWNORMAL));
        if (rc <= 32) {
            return make_error(
                Errc::kInvalidRequest,
                "cannot open the browser (ShellExecuteW failed with " + std::to_string(rc) + ")");
        }
        return {};
    }
    // TODO: configured or $BROWSER commands on Windows need CreateProcessW with quoting
    // rules of their own; until then they are refused rather than run through a shell.
    return make_error(Errc::kInvalidRequest,
                      "a browser command is not supported on Windows yet; leave it unset to "
                      "use the default browser");
#else
    std::string tried;
    for (const auto& argv : commands) {
        pid_t pid = -1;
        const int rc = spawn(argv, pid);
        if (rc == 0) {
            logger()->info("opened the browser with {}", describe(argv));
            reap_later(pid, describe(argv));
            return {};
        }
        tried += (tried.empty() ? "" : ", ") + describe(argv) + " (" + std::strerror(rc) + ")";
    }
    return make_error(Errc::kInvalidRequest,
                      "cannot open a browser: tried " + (tried.empty() ? "nothing" : tried) +
                          "; set $BROWSER or the browser command in the configuration");
#endif
}

}  // namespace vegha::login
