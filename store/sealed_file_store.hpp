#pragma once

// Grants sealed with AES-256-GCM into one file, under a random 256-bit data key that lives
// in the platform keystore (a KeyVault). The keystore holds 64 bytes whatever the grants'
// size, is asked at most once per process (one prompt at most), and its item is never
// re-created; the file is replaced atomically on each change and read back to verify.

#include <filesystem>
#include <map>
#include <memory>

#include "core/secret.hpp"
#include "store/key_vault.hpp"
#include "store/token_store.hpp"

namespace vegha::store {

class SealedFileStore final : public TokenStore {
public:
    // Fetches the data key from `vault`, or creates and stores one when the vault has none.
    // If the vault has none but a sealed file exists, that file cannot be opened any more; it
    // is renamed to "<name>.orphaned-<unix time>" (kept, not deleted) and a fresh store
    // begins. Errors: whatever the vault reports (kKeystoreLocked, kKeystoreUnavailable),
    // kStoreFailed when the key cannot be stored or the keystore holds something that is not
    // a data key.
    static Result<std::unique_ptr<SealedFileStore>> open(std::unique_ptr<KeyVault> vault,
                                                         std::filesystem::path file);

    std::string description() const override;
    Result<void> save(const GrantRecord& record) override;
    Result<std::optional<GrantRecord>> load(std::string_view grant_id) override;
    Result<std::vector<GrantRecord>> load_all() override;
    Result<void> erase(std::string_view grant_id) override;

    const std::filesystem::path& file() const noexcept { return file_; }

private:
    SealedFileStore(std::unique_ptr<KeyVault> vault, std::filesystem::path file, Secret key);

    // The file's records by id, read and verified anew on every call so another process
    // (a second broker, a restore from backup) is never overwritten from a stale copy.
    // An unreadable file is kStoreFailed and is left exactly as it is.
    Result<std::map<std::string, GrantRecord>> read_records() const;
    Result<void> write_records(const std::map<std::string, GrantRecord>& records);

    std::unique_ptr<KeyVault> vault_;
    std::filesystem::path file_;
    Secret key_;
};

}  // namespace vegha::store
