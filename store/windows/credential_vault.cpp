#include "store/windows/credential_vault.hpp"

// clang-format off
#include <windows.h>
#include <wincred.h>
// clang-format on

#include <memory>

namespace vegha::store::windows {
namespace {

std::string narrow(const std::wstring& wide) {
    std::string out;
    for (wchar_t c : wide) {
        out.push_back(c < 0x80 ? static_cast<char>(c) : '?');
    }
    return out;
}

Error win32_error(std::string_view step, DWORD code) {
    if (code == ERROR_NO_SUCH_LOGON_SESSION) {
        return make_error(Errc::kKeystoreUnavailable,
                          std::string(step) +
                              ": no logon session holds credentials for this "
                              "process (service account or network logon)");
    }
    return make_error(Errc::kKeystoreUnavailable,
                      std::string(step) + " failed with Win32 error " + std::to_string(code));
}

struct CredentialDeleter {
    void operator()(PCREDENTIALW credential) const { CredFree(credential); }
};

}  // namespace

CredentialVault::CredentialVault(std::wstring target) : target_(std::move(target)) {}

std::string CredentialVault::description() const {
    return "credential-manager (" + narrow(target_) + ")";
}

Result<std::optional<Secret>> CredentialVault::load_key() {
    PCREDENTIALW raw = nullptr;
    if (!CredReadW(target_.c_str(), CRED_TYPE_GENERIC, 0, &raw)) {
        const auto code = GetLastError();
        if (code == ERROR_NOT_FOUND) {
            return std::optional<Secret>();
        }
        return win32_error("CredReadW", code);
    }
    std::unique_ptr<CREDENTIALW, CredentialDeleter> credential(raw);
    const auto* blob = reinterpret_cast<const char*>(credential->CredentialBlob);
    Secret key(std::string(blob, credential->CredentialBlobSize));
    SecureZeroMemory(credential->CredentialBlob, credential->CredentialBlobSize);
    return std::optional<Secret>(std::move(key));
}

Result<void> CredentialVault::store_key(const Secret& key) {
    if (key.size() > kCredentialBlobLimit) {
        return make_error(Errc::kStoreFailed, "a credential holds at most 2560 bytes; refusing " +
                                                  std::to_string(key.size()));
    }
    std::string blob(key.reveal());
    std::wstring user = L"vegha-broker";
    std::wstring comment = L"vegha-broker: key that seals the stored OAuth grants";

    CREDENTIALW credential{};
    credential.Type = CRED_TYPE_GENERIC;
    credential.TargetName = target_.data();
    credential.Comment = comment.data();
    credential.CredentialBlobSize = static_cast<DWORD>(blob.size());
    credential.CredentialBlob = reinterpret_cast<LPBYTE>(blob.data());
    // This user on this machine: a roaming credential would copy the key to other machines.
    credential.Persist = CRED_PERSIST_LOCAL_MACHINE;
    credential.UserName = user.data();

    const bool written = CredWriteW(&credential, 0) != FALSE;
    const auto code = GetLastError();
    SecureZeroMemory(blob.data(), blob.size());
    if (!written) {
        return win32_error("CredWriteW", code);
    }

    auto back = load_key();
    if (!back) {
        return back.error();
    }
    if (!*back || !(**back == key)) {
        return make_error(Errc::kStoreFailed,
                          "the data key read back from the Credential Manager differs from the "
                          "one stored");
    }
    return {};
}

Result<void> CredentialVault::erase_key() {
    if (!CredDeleteW(target_.c_str(), CRED_TYPE_GENERIC, 0)) {
        const auto code = GetLastError();
        if (code != ERROR_NOT_FOUND) {
            return win32_error("CredDeleteW", code);
        }
    }
    return {};
}

}  // namespace vegha::store::windows
