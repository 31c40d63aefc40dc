#pragma once

// The data key as one item in the freedesktop Secret Service (gnome-keyring, KeePassXC,
// KWallet), spoken to over D-Bus with sdbus-c++.
//
// One D-Bus connection lives as long as the vault: the transfer session belongs to the
// connection that opened it. The vault runs no event-loop thread; every method call is
// synchronous with the call timeout, and while a prompt is open the vault itself polls the
// connection, up to the prompt deadline, for the prompt's Completed signal. So every call
// returns within its deadline, and the vault must be used from one thread at a time (the
// store's worker thread, never the Asio thread).

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "store/key_vault.hpp"

namespace vegha::store::secret_service {

struct VaultOptions {
    std::string bus_address;  // empty: $DBUS_SESSION_BUS_ADDRESS, else $XDG_RUNTIME_DIR/bus
    bool interactive = true;  // may an Unlock prompt be shown?
    std::chrono::milliseconds call_timeout{5000};
    std::chrono::milliseconds prompt_timeout{60000};
};

class SecretServiceVault final : public KeyVault {
public:
    // Connects and checks, each step within call_timeout, that a provider owns (or can be
    // started as) org.freedesktop.secrets, that it answers, opens a transfer session
    // (dh-ietf1024-sha256-aes128-cbc-pkcs7; "plain" only when the provider refuses dh) and
    // has a `default` collection. Every failure is kKeystoreUnavailable naming the step:
    // no bus address, cannot connect, no provider, no answer within the timeout, no default
    // collection.
    static Result<std::unique_ptr<SecretServiceVault>> connect(const VaultOptions& options);

    ~SecretServiceVault() override;

    std::string description() const override;
    Result<std::optional<Secret>> load_key() override;
    Result<void> store_key(const Secret& key) override;

    // The transfer algorithm OpenSession agreed: kDhAlgorithm or kPlainAlgorithm.
    std::string_view session_algorithm() const noexcept;
    // The provider's process name when the bus tells it ("gnome-keyring-d"), else its bus name.
    const std::string& provider() const noexcept;
    // The object path the `default` alias resolved to.
    const std::string& collection() const noexcept;

    struct Impl;

private:
    explicit SecretServiceVault(std::unique_ptr<Impl> impl);

    std::unique_ptr<Impl> impl_;
};

// The item attributes that mark the broker's data key.
inline constexpr std::string_view kAttributeApplication = "vegha-broker";
inline constexpr std::string_view kAttributeKind = "data-key";

}  // namespace vegha::store::secret_service
