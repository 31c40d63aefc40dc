#pragma once

// The data key as one generic-password item (service "vegha-broker", account "data-key") in
// the user's default keychain, through Security.framework's SecItem calls.
//
// Written against Apple's documented API and compiled only where a macOS toolchain exists
// (not on this project's Linux machines). SecItem calls carry no deadline of their own; a
// non-interactive vault forbids UI (kSecUseAuthenticationUIFail), so a locked keychain
// answers at once with errSecInteractionNotAllowed rather than waiting on a dialog.

#include <memory>

#include "store/key_vault.hpp"

namespace vegha::store::macos {

class KeychainVault final : public KeyVault {
public:
    static Result<std::unique_ptr<KeyVault>> open(bool interactive);

    std::string description() const override { return "keychain (login keychain)"; }

    // nullopt on errSecItemNotFound; kKeystoreLocked on errSecInteractionNotAllowed,
    // errSecAuthFailed or errSecUserCanceled; kKeystoreUnavailable otherwise, with the
    // OSStatus and Security.framework's text for it.
    Result<std::optional<Secret>> load_key() override;

    // SecItemUpdate on the existing item (in place), SecItemAdd only when there is none;
    // then reads back to verify.
    Result<void> store_key(const Secret& key) override;

private:
    explicit KeychainVault(bool interactive) : interactive_(interactive) {}

    bool interactive_;
};

}  // namespace vegha::store::macos
