#pragma once

// Child processes for integration tests: the demo identity provider, the daemon, the CLI.
// Every wait has a deadline; a child still running when its Process is destroyed is
// terminated, then killed.

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace vegha::test {

struct ProcessOptions {
    std::vector<std::string> argv = {};
    // Added to (or replacing in) the test's own environment.
    std::map<std::string, std::string> env = {};
    std::filesystem::path stdout_path = {};  // empty: /dev/null
    std::filesystem::path stderr_path = {};  // empty: /dev/null
    std::optional<uid_t> uid = {};           // switch to this user before exec (needs root)
};

class Process {
public:
    explicit Process(ProcessOptions options);
    ~Process();
    Process(const Process&) = delete;
    Process& operator=(const Process&) = delete;

    pid_t pid() const { return pid_; }
    bool running();
    void signal(int sig);

    // The exit status (or 128 + signal) once the child ends, or nullopt at the deadline.
    std::optional<int> wait(std::chrono::milliseconds deadline);

    // SIGTERM, up to 5 s, then SIGKILL.
    void stop();

private:
    pid_t pid_ = -1;
    std::optional<int> status_;
};

// Runs a command to completion (deadline 30 s) and returns its exit code and output.
struct CommandResult {
    int exit_code = -1;
    std::string out;
    std::string err;
};
CommandResult run_command(const ProcessOptions& options,
                          std::chrono::milliseconds deadline = std::chrono::seconds(30));

// Polls `ready` every 20 ms until it holds or the deadline passes.
bool wait_until(const std::function<bool()>& ready, std::chrono::milliseconds deadline);

std::string read_file(const std::filesystem::path& path);

// A fresh private folder, removed with everything in it on destruction.
class TempDir {
public:
    TempDir();
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::filesystem::path& path() const { return path_; }

private:
    std::filesystem::path path_;
};

}  // namespace vegha::test
