// store/atomic_file.hpp on Windows: a temporary file beside the target, FlushFileBuffers,
// then MoveFileExW with MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH, which returns
// only once the rename is on disk. The file inherits the folder's ACL; under %LOCALAPPDATA%
// that grants the user, SYSTEM and Administrators only.

#include "store/atomic_file.hpp"

// clang-format off
#include <windows.h>
// clang-format on

#include "store/crypto.hpp"

namespace vegha::store {
namespace {

Error io_error(std::string_view step, const std::filesystem::path& path, DWORD code) {
    return make_error(Errc::kStoreFailed, std::string(step) + " " + path.string() +
                                              ": Win32 error " + std::to_string(code));
}

struct HandleCloser {
    void operator()(HANDLE handle) const {
        if (handle != INVALID_HANDLE_VALUE) {
            CloseHandle(handle);
        }
    }
};
using Handle = std::unique_ptr<void, HandleCloser>;

}  // namespace

Result<void> write_file_atomically(const std::filesystem::path& path, std::string_view bytes) {
    std::error_code ec;
    const auto dir = path.parent_path();
    if (!dir.empty()) {
        std::filesystem::create_directories(dir, ec);
        if (ec) {
            return io_error("cannot create", dir, static_cast<DWORD>(ec.value()));
        }
    }
    auto suffix = crypto::random_bytes(6);
    if (!suffix) {
        return suffix.error();
    }
    std::wstring temp = path.wstring() + L".tmp-";
    for (unsigned char c : *suffix) {
        temp += L"0123456789abcdef"[c >> 4];
        temp += L"0123456789abcdef"[c & 0x0f];
    }

    Handle file(CreateFileW(temp.c_str(), GENERIC_WRITE, 0, nullptr, CREATE_NEW,
                            FILE_ATTRIBUTE_NORMAL, nullptr));
    if (file.get() == INVALID_HANDLE_VALUE) {
        return io_error("cannot create", temp, GetLastError());
    }
    auto fail = [&](Error e) -> Result<void> {
        file.reset();
        DeleteFileW(temp.c_str());
        return e;
    };
    while (!bytes.empty()) {
        DWORD written = 0;
        const auto chunk = static_cast<DWORD>(std::min<std::size_t>(bytes.size(), 1 << 20));
        if (!WriteFile(file.get(), bytes.data(), chunk, &written, nullptr)) {
            return fail(io_error("cannot write", temp, GetLastError()));
        }
        bytes.remove_prefix(written);
    }
    if (!FlushFileBuffers(file.get())) {
        return fail(io_error("cannot flush", temp, GetLastError()));
    }
    file.reset();
    if (!MoveFileExW(temp.c_str(), path.c_str(),
                     MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH)) {
        return fail(io_error("cannot replace", path, GetLastError()));
    }
    return {};
}

Result<std::optional<std::string>> read_whole_file(const std::filesystem::path& path) {
    Handle file(CreateFileW(path.c_str(), GENERIC_READ, FILE_SHARE_READ, nullptr, OPEN_EXISTING,
                            FILE_ATTRIBUTE_NORMAL, nullptr));
    if (file.get() == INVALID_HANDLE_VALUE) {
        const auto code = GetLastError();
        if (code == ERROR_FILE_NOT_FOUND || code == ERROR_PATH_NOT_FOUND) {
            return std::optional<std::string>();
        }
        return io_error("cannot open", path, code);
    }
    std::string bytes;
    char buffer[8192];
    for (;;) {
        DWORD n = 0;
        if (!ReadFile(file.get(), buffer, sizeof buffer, &n, nullptr)) {
            return io_error("cannot read", path, GetLastError());
        }
        if (n == 0) {
            break;
        }
        bytes.append(buffer, n);
    }
    return std::optional<std::string>(std::move(bytes));
}

}  // namespace vegha::store
