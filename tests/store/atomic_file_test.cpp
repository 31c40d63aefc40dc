#include "store/atomic_file.hpp"

#include <gtest/gtest.h>

#include "temp_dir.hpp"

namespace vegha::store {
namespace {

std::vector<std::string> entries(const std::filesystem::path& dir) {
    std::vector<std::string> names;
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
        names.push_back(entry.path().filename().string());
    }
    return names;
}

TEST(AtomicFile, ReplacesTheWholeFile) {
    test::TempDir dir;
    const auto file = dir.path() / "f";
    ASSERT_TRUE(write_file_atomically(file, "a much longer first version"));

    ASSERT_TRUE(write_file_atomically(file, "second"));

    auto bytes = read_whole_file(file);
    ASSERT_TRUE(bytes && *bytes);
    EXPECT_EQ(**bytes, "second");
    EXPECT_EQ(entries(dir.path()), std::vector<std::string>{"f"});
}

TEST(AtomicFile, AMissingFileReadsAsNothing) {
    test::TempDir dir;
    auto bytes = read_whole_file(dir.path() / "absent");
    ASSERT_TRUE(bytes);
    EXPECT_FALSE(*bytes);
}

TEST(AtomicFile, AFailedRenameRemovesTheTemporaryFileAndKeepsTheTarget) {
    test::TempDir dir;
    // A non-empty folder where the file should go: rename(2) over it fails.
    const auto target = dir.path() / "f";
    std::filesystem::create_directories(target / "occupied");

    auto written = write_file_atomically(target, "bytes");

    ASSERT_FALSE(written);
    EXPECT_EQ(written.error().code, Errc::kStoreFailed);
    EXPECT_NE(written.error().message.find("cannot replace"), std::string::npos);
    EXPECT_EQ(entries(dir.path()), std::vector<std::string>{"f"});
    EXPECT_TRUE(std::filesystem::is_directory(target / "occupied"));
}

TEST(AtomicFile, AnUnwritableFolderIsAnErrorNamingIt) {
    // A regular file where the parent folder should be.
    test::TempDir dir;
    test::write_bytes(dir.path() / "not-a-folder", "x");

    auto written = write_file_atomically(dir.path() / "not-a-folder" / "f", "bytes");

    ASSERT_FALSE(written);
    EXPECT_NE(written.error().message.find("not-a-folder"), std::string::npos);
}

}  // namespace
}  // namespace vegha::store
