#pragma once

// The data key as one generic credential in the Windows Credential Manager
// (CredWriteW / CredReadW), persisted for this user on this machine only.
//
// The Credential Manager holds at most CRED_MAX_CREDENTIAL_BLOB_SIZE (2,560) bytes per
// credential; the 64-byte hex key is far inside it, and grants of any size live in the sealed
// file, never in a credential. Each call is a local RPC to the Local Security Authority with
// no timeout of its own; it does not prompt. Use from one thread at a time.

#include <string>

#include "store/key_vault.hpp"

namespace vegha::store::windows {

inline constexpr std::size_t kCredentialBlobLimit = 2560;
inline constexpr const wchar_t* kDefaultTarget = L"vegha-broker/data-key";

class CredentialVault final : public KeyVault {
public:
    explicit CredentialVault(std::wstring target = kDefaultTarget);

    std::string description() const override;

    // nullopt when no credential has the target name; kKeystoreUnavailable when there is no
    // logon session to hold credentials (a service account, a network logon) or another
    // failure, naming the Win32 error.
    Result<std::optional<Secret>> load_key() override;

    // CredWriteW on the same target name overwrites the credential in place. A key over the
    // blob limit is refused (kStoreFailed) before anything is written. Reads back to verify.
    Result<void> store_key(const Secret& key) override;

    // Removes the credential; absent is success. For tests and an explicit "forget me".
    Result<void> erase_key();

private:
    std::wstring target_;
};

}  // namespace vegha::store::windows
