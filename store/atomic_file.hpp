#pragma once

// Durable whole-file replacement: readers see the old bytes or the new ones, never a mix,
// even across a crash or power loss.

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "core/error.hpp"

namespace vegha::store {

// Writes `bytes` to a temporary file beside `path` (created owner-only: 0600 on POSIX),
// flushes it to disk, renames it over `path`, then flushes the directory so the rename
// itself survives a crash. Creates missing parent folders (0700). On any failure the
// temporary file is removed and `path` is untouched. Errors are kStoreFailed naming the step.
Result<void> write_file_atomically(const std::filesystem::path& path, std::string_view bytes);

// The whole file, or nullopt when it does not exist. Errors are kStoreFailed.
Result<std::optional<std::string>> read_whole_file(const std::filesystem::path& path);

}  // namespace vegha::store
