#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>

#include "store/atomic_file.hpp"
#include "store/crypto.hpp"

namespace vegha::store {
namespace {

Error io_error(std::string_view step, const std::filesystem::path& path, int err) {
    return make_error(Errc::kStoreFailed,
                      std::string(step) + " " + path.string() + ": " + std::strerror(err));
}

// Closes a descriptor on every path out of a function.
class Fd {
public:
    explicit Fd(int fd) : fd_(fd) {}
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    ~Fd() {
        if (fd_ >= 0) {
            ::close(fd_);
        }
    }
    int get() const { return fd_; }
    int release() {
        int fd = fd_;
        fd_ = -1;
        return fd;
    }

private:
    int fd_;
};

Result<void> write_all(int fd, std::string_view bytes, const std::filesystem::path& path) {
    while (!bytes.empty()) {
        auto n = ::write(fd, bytes.data(), bytes.size());
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            return io_error("cannot write", path, errno);
        }
        bytes.remove_prefix(static_cast<std::size_t>(n));
    }
    return {};
}

Result<void> create_parents(const std::filesystem::path& dir) {
    std::error_code ec;
    if (std::filesystem::is_directory(dir, ec)) {
        return {};
    }
    std::filesystem::create_directories(dir, ec);
    if (ec) {
        return io_error("cannot create", dir, ec.value());
    }
    std::filesystem::permissions(dir, std::filesystem::perms::owner_all, ec);
    return {};
}

}  // namespace

Result<void> write_file_atomically(const std::filesystem::path& path, std::string_view bytes) {
    const auto dir = path.parent_path().empty() ? std::filesystem::path(".") : path.parent_path();
    if (auto made = create_parents(dir); !made) {
        return made;
    }

    // mkstemp gives a fresh name and O_EXCL, so a stale or hostile file is never reused.
    std::string temp = (dir / (path.filename().string() + ".tmp-XXXXXX")).string();
    Fd fd(::mkostemp(temp.data(), O_CLOEXEC));
    if (fd.get() < 0) {
        return io_error("cannot create a temporary file in", dir, errno);
    }
    auto fail = [&](Error e) -> Result<void> {
        ::unlink(temp.c_str());
        return e;
    };
    if (::fchmod(fd.get(), S_IRUSR | S_IWUSR) != 0) {
        return fail(io_error("cannot restrict", temp, errno));
    }
    if (auto written = write_all(fd.get(), bytes, temp); !written) {
        return fail(written.error());
    }
    if (::fsync(fd.get()) != 0) {
        return fail(io_error("cannot flush", temp, errno));
    }
    if (::close(fd.release()) != 0) {
        return fail(io_error("cannot close", temp, errno));
    }
    if (::rename(temp.c_str(), path.c_str()) != 0) {
        return fail(io_error("cannot replace", path, errno));
    }

    // Without this the rename may be lost in a crash even though the data blocks are safe.
    Fd dir_fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (dir_fd.get() < 0 || ::fsync(dir_fd.get()) != 0) {
        return io_error("cannot flush directory", dir, errno);
    }
    return {};
}

Result<std::optional<std::string>> read_whole_file(const std::filesystem::path& path) {
    Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (fd.get() < 0) {
        if (errno == ENOENT) {
            return std::optional<std::string>();
        }
        return io_error("cannot open", path, errno);
    }
    std::string bytes;
    char buffer[8192];
    for (;;) {
        auto n = ::read(fd.get(), buffer, sizeof buffer);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            crypto::wipe(bytes);
            return io_error("cannot read", path, errno);
        }
        if (n == 0) {
            break;
        }
        bytes.append(buffer, static_cast<std::size_t>(n));
    }
    return std::optional<std::string>(std::move(bytes));
}

}  // namespace vegha::store
