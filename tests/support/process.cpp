#include "tests/support/process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace vegha::test {
namespace fs = std::filesystem;

namespace {

std::vector<std::string> merged_environment(const std::map<std::string, std::string>& extra) {
    std::map<std::string, std::string> env;
    for (char** entry = environ; *entry; ++entry) {
        const std::string text(*entry);
        const auto eq = text.find('=');
        if (eq != std::string::npos) {
            env[text.substr(0, eq)] = text.substr(eq + 1);
        }
    }
    for (const auto& [key, value] : extra) {
        env[key] = value;
    }
    std::vector<std::string> out;
    for (const auto& [key, value] : env) {
        out.push_back(key + "=" + value);
    }
    return out;
}

void redirect(int target, const fs::path& path) {
    const int fd = path.empty() ? ::open("/dev/null", O_WRONLY)
                                : ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd >= 0) {
        ::dup2(fd, target);
        ::close(fd);
    }
}

}  // namespace

Process::Process(ProcessOptions options) {
    if (options.argv.empty()) {
        throw std::invalid_argument("Process needs a program");
    }
    std::vector<std::string> env = merged_environment(options.env);
    std::vector<char*> argv_ptrs;
    for (auto& arg : options.argv) {
        argv_ptrs.push_back(arg.data());
    }
    argv_ptrs.push_back(nullptr);
    std::vector<char*> env_ptrs;
    for (auto& entry : env) {
        env_ptrs.push_back(entry.data());
    }
    env_ptrs.push_back(nullptr);

    pid_ = ::fork();
    if (pid_ < 0) {
        throw std::runtime_error(std::string("fork failed: ") + std::strerror(errno));
    }
    if (pid_ == 0) {
        // Only async-signal-safe calls from here to exec.
        const int null_in = ::open("/dev/null", O_RDONLY);
        ::dup2(null_in, STDIN_FILENO);
        redirect(STDOUT_FILENO, options.stdout_path);
        redirect(STDERR_FILENO, options.stderr_path);
        ::setpgid(0, 0);
        if (options.uid && (::setgid(*options.uid) != 0 || ::setuid(*options.uid) != 0)) {
            ::_exit(126);
        }
        ::execve(argv_ptrs[0], argv_ptrs.data(), env_ptrs.data());
        ::_exit(127);
    }
}

Process::~Process() {
    stop();
}

bool Process::running() {
    return !wait(std::chrono::milliseconds(0));
}

void Process::signal(int sig) {
    if (pid_ > 0 && !status_) {
        ::kill(pid_, sig);
    }
}

std::optional<int> Process::wait(std::chrono::milliseconds deadline) {
    if (status_ || pid_ <= 0) {
        return status_;
    }
    const auto until = std::chrono::steady_clock::now() + deadline;
    do {
        int raw = 0;
        const pid_t done = ::waitpid(pid_, &raw, WNOHANG);
        if (done == pid_) {
            status_ = WIFEXITED(raw) ? WEXITSTATUS(raw) : 128 + WTERMSIG(raw);
            return status_;
        }
        if (done < 0) {
            status_ = -1;
            return status_;
        }
        if (deadline.count() > 0) {
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
    } while (std::chrono::steady_clock::now() < until);
    return std::nullopt;
}

void Process::stop() {
    if (pid_ <= 0 || status_) {
        return;
    }
    signal(SIGTERM);
    if (!wait(std::chrono::seconds(5))) {
        signal(SIGKILL);
        wait(std::chrono::seconds(5));
    }
}

CommandResult run_command(const ProcessOptions& options, std::chrono::milliseconds deadline) {
    TempDir dir;
    ProcessOptions with_output = options;
    with_output.stdout_path = dir.path() / "out";
    with_output.stderr_path = dir.path() / "err";
    Process process(with_output);
    CommandResult result;
    const auto status = process.wait(deadline);
    if (!status) {
        process.stop();
        result.exit_code = -1;
        result.err = "command did not finish before its deadline";
        return result;
    }
    result.exit_code = *status;
    result.out = read_file(with_output.stdout_path);
    result.err = read_file(with_output.stderr_path);
    return result;
}

bool wait_until(const std::function<bool()>& ready, std::chrono::milliseconds deadline) {
    const auto until = std::chrono::steady_clock::now() + deadline;
    while (std::chrono::steady_clock::now() < until) {
        if (ready()) {
            return true;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return ready();
}

std::string read_file(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

TempDir::TempDir() {
    std::string pattern = (fs::temp_directory_path() / "vegha-test-XXXXXX").string();
    if (!::mkdtemp(pattern.data())) {
        throw std::runtime_error("mkdtemp failed");
    }
    path_ = pattern;
}

TempDir::~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
}

}  // namespace vegha::test
