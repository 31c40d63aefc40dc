#include "store/secret_service/secret_service_vault.hpp"

#include <poll.h>
#include <sdbus-c++/sdbus-c++.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <vector>

#include "core/log.hpp"
#include "store/secret_service/transfer_session.hpp"

namespace vegha::store::secret_service {
namespace {

// Names from the Secret Service API specification (freedesktop.org, version 0.2).
constexpr const char* kBusName = "org.freedesktop.secrets";
constexpr const char* kServicePath = "/org/freedesktop/secrets";
constexpr const char* kServiceIface = "org.freedesktop.Secret.Service";
constexpr const char* kCollectionIface = "org.freedesktop.Secret.Collection";
constexpr const char* kPromptIface = "org.freedesktop.Secret.Prompt";
constexpr const char* kSessionIface = "org.freedesktop.Secret.Session";
constexpr const char* kPropertiesIface = "org.freedesktop.DBus.Properties";
constexpr const char* kNoPrompt = "/";

using SecretValue = sdbus::Struct<sdbus::ObjectPath, std::vector<std::uint8_t>,
                                  std::vector<std::uint8_t>, std::string>;
using Attributes = std::map<std::string, std::string>;
using Clock = std::chrono::steady_clock;

Error unavailable(std::string message) {
    return make_error(Errc::kKeystoreUnavailable, std::move(message));
}

Error locked(std::string message) {
    return make_error(Errc::kKeystoreLocked, std::move(message));
}

bool is_timeout(const sdbus::Error& e) {
    const auto& name = e.getName();
    return name == "org.freedesktop.DBus.Error.NoReply" ||
           name == "org.freedesktop.DBus.Error.Timeout" ||
           name == "org.freedesktop.DBus.Error.TimedOut";
}

// What the bus or the provider threw, as a typed error that names the step. Malformed replies
// surface as sdbus::Error too, so a misbehaving provider gives an error, never an abort.
Error translate(std::string_view step, std::chrono::milliseconds timeout, const sdbus::Error& e) {
    if (is_timeout(e)) {
        return unavailable(std::string(step) +
                           ": the Secret Service provider did not answer within " +
                           std::to_string(timeout.count()) + " ms");
    }
    if (e.getName() == "org.freedesktop.Secret.Error.IsLocked") {
        return locked(std::string(step) + ": the keyring is locked");
    }
    return unavailable(std::string(step) + " failed: " + e.getName() + ": " + e.getMessage());
}

template <class Body>
Result<void> guarded(std::string_view step, std::chrono::milliseconds timeout, Body&& body) {
    try {
        body();
        return {};
    } catch (const sdbus::Error& e) {
        return translate(step, timeout, e);
    }
}

Attributes key_attributes() {
    return {{"application", std::string(kAttributeApplication)},
            {"kind", std::string(kAttributeKind)}};
}

std::string process_name(std::uint32_t pid) {
    std::ifstream comm("/proc/" + std::to_string(pid) + "/comm");
    std::string name;
    std::getline(comm, name);
    return name;
}

}  // namespace

struct SecretServiceVault::Impl {
    VaultOptions options;
    std::unique_ptr<sdbus::IConnection> connection;
    std::unique_ptr<sdbus::IProxy> service;
    std::string owner;     // the provider's unique bus name
    std::string provider;  // for people: process name or bus name
    std::string algorithm;
    std::optional<DhTransfer> dh;
    sdbus::ObjectPath session;
    sdbus::ObjectPath collection;

    std::chrono::milliseconds timeout() const { return options.call_timeout; }

    Result<void> find_provider();
    Result<void> open_session();
    Result<void> resolve_default();
    Result<bool> is_locked(const sdbus::ObjectPath& path, const char* iface);
    Result<void> unlock(const std::vector<sdbus::ObjectPath>& objects);
    Result<void> ensure_collection_unlocked();
    // Shows the prompt and waits for its Completed signal up to the prompt deadline; the
    // signal's result goes to `result`. (sdbus::Variant converts from anything, so it cannot
    // sit in a Result beside Error.)
    Result<void> run_prompt(const sdbus::ObjectPath& prompt, std::string_view purpose,
                            sdbus::Variant& result);
    Result<std::vector<sdbus::ObjectPath>> find_items();
    Result<std::optional<Secret>> read_item(const sdbus::ObjectPath& item);
};

Result<void> SecretServiceVault::Impl::find_provider() {
    auto bus = sdbus::createProxy(*connection, "org.freedesktop.DBus", "/org/freedesktop/DBus");
    bool owned = false;
    auto asked = guarded("asking the session bus for a Secret Service provider", timeout(), [&] {
        bus->callMethod("NameHasOwner")
            .onInterface("org.freedesktop.DBus")
            .withTimeout(timeout())
            .withArguments(std::string(kBusName))
            .storeResultsTo(owned);
    });
    if (!asked) {
        return asked;
    }

    if (!owned) {
        std::vector<std::string> activatable;
        auto listed = guarded("listing activatable services", timeout(), [&] {
            bus->callMethod("ListActivatableNames")
                .onInterface("org.freedesktop.DBus")
                .withTimeout(timeout())
                .storeResultsTo(activatable);
        });
        if (!listed) {
            return listed;
        }
        if (std::find(activatable.begin(), activatable.end(), kBusName) == activatable.end()) {
            return unavailable(
                "no Secret Service provider on the session bus: nothing owns or can start "
                "org.freedesktop.secrets (start gnome-keyring, KeePassXC with Secret Service "
                "integration, or KWallet)");
        }
        std::uint32_t started = 0;
        auto start = guarded("starting the Secret Service provider", timeout(), [&] {
            bus->callMethod("StartServiceByName")
                .onInterface("org.freedesktop.DBus")
                .withTimeout(timeout())
                .withArguments(std::string(kBusName), std::uint32_t{0})
                .storeResultsTo(started);
        });
        if (!start) {
            return start;
        }
    }

    auto named = guarded("looking up the Secret Service provider", timeout(), [&] {
        bus->callMethod("GetNameOwner")
            .onInterface("org.freedesktop.DBus")
            .withTimeout(timeout())
            .withArguments(std::string(kBusName))
            .storeResultsTo(owner);
    });
    if (!named) {
        return named;
    }
    provider = owner;
    try {
        std::uint32_t pid = 0;
        bus->callMethod("GetConnectionUnixProcessID")
            .onInterface("org.freedesktop.DBus")
            .withTimeout(timeout())
            .withArguments(owner)
            .storeResultsTo(pid);
        if (auto name = process_name(pid); !name.empty()) {
            provider = name;
        }
    } catch (const sdbus::Error&) {
        // Only a label for people; the bus name serves as well.
    }
    return {};
}

Result<void> SecretServiceVault::Impl::open_session() {
    service = sdbus::createProxy(*connection, kBusName, kServicePath);

    auto generated = DhTransfer::generate();
    if (!generated) {
        return generated.error();
    }
    sdbus::Variant output;
    bool refused = false;
    try {
        service->callMethod("OpenSession")
            .onInterface(kServiceIface)
            .withTimeout(timeout())
            .withArguments(std::string(kDhAlgorithm), sdbus::Variant(generated->public_value()))
            .storeResultsTo(output, session);
    } catch (const sdbus::Error& e) {
        if (e.getName() != "org.freedesktop.DBus.Error.NotSupported") {
            return translate("opening a Secret Service session", timeout(), e);
        }
        refused = true;
    }

    if (!refused) {
        if (!output.containsValueOfType<Bytes>()) {
            return unavailable(
                "the Secret Service provider answered OpenSession without a "
                "public value");
        }
        if (auto derived = generated->derive(output.get<Bytes>()); !derived) {
            return derived;
        }
        dh.emplace(std::move(*generated));
        algorithm = kDhAlgorithm;
        return {};
    }

    // Secrets then cross the bus in the clear, visible to anything that can monitor this
    // user's session bus; said so in description() and once in the log.
    auto opened = guarded("opening a plain Secret Service session", timeout(), [&] {
        service->callMethod("OpenSession")
            .onInterface(kServiceIface)
            .withTimeout(timeout())
            .withArguments(std::string(kPlainAlgorithm), sdbus::Variant(std::string()))
            .storeResultsTo(output, session);
    });
    if (!opened) {
        return opened;
    }
    algorithm = kPlainAlgorithm;
    log::logger("store")->warn(
        "{} does not offer an encrypted transfer session; the data key "
        "crosses the session bus unencrypted",
        provider);
    return {};
}

Result<void> SecretServiceVault::Impl::resolve_default() {
    auto read = guarded("resolving the Secret Service 'default' collection", timeout(), [&] {
        service->callMethod("ReadAlias")
            .onInterface(kServiceIface)
            .withTimeout(timeout())
            .withArguments(std::string("default"))
            .storeResultsTo(collection);
    });
    if (!read) {
        return read;
    }
    if (collection == kNoPrompt) {
        return unavailable("the Secret Service provider (" + provider +
                           ") has no 'default' collection; create or choose a default keyring");
    }
    return {};
}

Result<bool> SecretServiceVault::Impl::is_locked(const sdbus::ObjectPath& path, const char* iface) {
    sdbus::Variant value;
    auto read = guarded("reading the Locked property of " + path, timeout(), [&] {
        auto object = sdbus::createProxy(*connection, kBusName, path);
        object->callMethod("Get")
            .onInterface(kPropertiesIface)
            .withTimeout(timeout())
            .withArguments(std::string(iface), std::string("Locked"))
            .storeResultsTo(value);
    });
    if (!read) {
        return read.error();
    }
    if (!value.containsValueOfType<bool>()) {
        return unavailable("the Locked property of " + path + " is not a boolean");
    }
    return value.get<bool>();
}

Result<void> SecretServiceVault::Impl::run_prompt(const sdbus::ObjectPath& path,
                                                  std::string_view purpose,
                                                  sdbus::Variant& result) {
    bool done = false;
    bool dismissed = false;
    bool malformed = false;
    std::unique_ptr<sdbus::IProxy> prompt;

    // Subscribe before asking, so a Completed that arrives at once is not missed.
    auto asked = guarded("showing the " + std::string(purpose) + " prompt", timeout(), [&] {
        prompt = sdbus::createProxy(*connection, owner, path);
        prompt->registerSignalHandler(kPromptIface, "Completed", [&](sdbus::Signal& signal) {
            try {
                signal >> dismissed >> result;
            } catch (const sdbus::Error&) {
                malformed = true;
            }
            done = true;
        });
        prompt->finishRegistration();
        prompt->callMethod("Prompt")
            .onInterface(kPromptIface)
            .withTimeout(timeout())
            .withArguments(std::string());
    });
    if (!asked) {
        return asked;
    }

    const auto deadline = Clock::now() + options.prompt_timeout;
    while (!done) {
        auto pumped = guarded("waiting for the prompt", timeout(), [&] {
            while (!done && connection->processPendingRequest()) {
            }
        });
        if (!pumped) {
            return pumped;
        }
        const auto left =
            std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
        if (done || left.count() <= 0) {
            break;
        }
        auto data = connection->getEventLoopPollData();
        int wait = static_cast<int>(std::min<std::int64_t>(left.count() + 1, 1000));
        if (int bus_wait = data.getPollTimeout(); bus_wait >= 0) {
            wait = std::min(wait, bus_wait);
        }
        pollfd fd{data.fd, data.events, 0};
        ::poll(&fd, 1, wait);
    }

    if (!done) {
        try {
            prompt->callMethod("Dismiss").onInterface(kPromptIface).withTimeout(timeout());
        } catch (const sdbus::Error&) {
            // The prompt is abandoned either way; the provider cleans it up.
        }
        return locked("the " + std::string(purpose) + " prompt was not answered within " +
                      std::to_string(options.prompt_timeout.count()) + " ms");
    }
    if (malformed) {
        return unavailable("the Secret Service provider sent a malformed Completed signal");
    }
    if (dismissed) {
        return locked("the " + std::string(purpose) + " prompt was dismissed");
    }
    return {};
}

Result<void> SecretServiceVault::Impl::unlock(const std::vector<sdbus::ObjectPath>& objects) {
    std::vector<sdbus::ObjectPath> unlocked;
    sdbus::ObjectPath prompt;
    auto called = guarded("unlocking the keyring", timeout(), [&] {
        service->callMethod("Unlock")
            .onInterface(kServiceIface)
            .withTimeout(timeout())
            .withArguments(objects)
            .storeResultsTo(unlocked, prompt);
    });
    if (!called) {
        return called;
    }
    if (prompt == kNoPrompt) {
        return {};
    }
    if (!options.interactive) {
        return locked("the Secret Service collection " + collection + " of " + provider +
                      " is locked and the broker runs non-interactively, so it shows no "
                      "unlock prompt; unlock the keyring and retry");
    }
    sdbus::Variant ignored;
    return run_prompt(prompt, "unlock", ignored);
}

Result<void> SecretServiceVault::Impl::ensure_collection_unlocked() {
    auto state = is_locked(collection, kCollectionIface);
    if (!state) {
        return state.error();
    }
    if (!*state) {
        return {};
    }
    if (auto unlocked = unlock({collection}); !unlocked) {
        return unlocked;
    }
    // A provider may report the prompt completed yet leave the collection locked.
    state = is_locked(collection, kCollectionIface);
    if (!state) {
        return state.error();
    }
    if (*state) {
        return locked("the Secret Service collection " + collection + " is still locked");
    }
    return {};
}

Result<std::vector<sdbus::ObjectPath>> SecretServiceVault::Impl::find_items() {
    std::vector<sdbus::ObjectPath> unlocked;
    std::vector<sdbus::ObjectPath> locked_items;
    auto searched = guarded("searching the keyring for the data key", timeout(), [&] {
        service->callMethod("SearchItems")
            .onInterface(kServiceIface)
            .withTimeout(timeout())
            .withArguments(key_attributes())
            .storeResultsTo(unlocked, locked_items);
    });
    if (!searched) {
        return searched.error();
    }
    auto in_collection = [&](const sdbus::ObjectPath& item) {
        return item.rfind(collection + "/", 0) == 0;
    };
    std::erase_if(unlocked, [&](const auto& item) { return !in_collection(item); });
    std::erase_if(locked_items, [&](const auto& item) { return !in_collection(item); });

    if (!locked_items.empty()) {
        if (auto opened = unlock(locked_items); !opened) {
            return opened.error();
        }
        unlocked.insert(unlocked.end(), locked_items.begin(), locked_items.end());
    }
    std::sort(unlocked.begin(), unlocked.end());
    return unlocked;
}

Result<std::optional<Secret>> SecretServiceVault::Impl::read_item(const sdbus::ObjectPath& item) {
    std::map<sdbus::ObjectPath, SecretValue> secrets;
    auto read = guarded("reading the data key", timeout(), [&] {
        service->callMethod("GetSecrets")
            .onInterface(kServiceIface)
            .withTimeout(timeout())
            .withArguments(std::vector<sdbus::ObjectPath>{item}, session)
            .storeResultsTo(secrets);
    });
    if (!read) {
        return read.error();
    }

    // gnome-keyring answers a locked item with an empty map, not an error: that is a locked
    // keystore, never a missing key.
    auto found = secrets.find(item);
    if (found == secrets.end()) {
        return locked("the Secret Service returned no secret for " + item +
                      " (the item or its collection is locked)");
    }
    const auto& params = found->second.get<1>();
    const auto& value = found->second.get<2>();
    if (value.empty()) {
        return locked("the Secret Service returned an empty secret for " + item);
    }
    if (dh) {
        auto plain = dh->decrypt(params, value);
        if (!plain) {
            return plain.error();
        }
        return std::optional<Secret>(std::move(*plain));
    }
    return std::optional<Secret>(Secret(std::string(value.begin(), value.end())));
}

SecretServiceVault::SecretServiceVault(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

SecretServiceVault::~SecretServiceVault() {
    if (!impl_ || impl_->session.empty() || !impl_->connection) {
        return;
    }
    try {
        auto session = sdbus::createProxy(*impl_->connection, kBusName, impl_->session);
        session->callMethod("Close").onInterface(kSessionIface).withTimeout(impl_->timeout());
    } catch (const sdbus::Error&) {
        // The provider closes the session itself when the connection goes.
    }
}

Result<std::unique_ptr<SecretServiceVault>> SecretServiceVault::connect(
    const VaultOptions& options) {
    auto impl = std::make_unique<Impl>();
    impl->options = options;

    std::string address = options.bus_address;
    if (address.empty()) {
        if (const char* env = std::getenv("DBUS_SESSION_BUS_ADDRESS"); env && *env) {
            address = env;
        } else if (const char* runtime = std::getenv("XDG_RUNTIME_DIR"); runtime && *runtime) {
            // Where systemd user sessions put the bus; sd-bus looks there too.
            std::error_code ec;
            auto socket = std::filesystem::path(runtime) / "bus";
            if (std::filesystem::is_socket(socket, ec)) {
                address = "unix:path=" + socket.string();
            }
        }
    }
    if (address.empty()) {
        return unavailable(
            "no D-Bus session bus: DBUS_SESSION_BUS_ADDRESS is not set and "
            "$XDG_RUNTIME_DIR/bus does not exist, so there is no Secret Service "
            "to keep the data key in");
    }

    auto connected =
        guarded("connecting to the session bus at " + address, options.call_timeout, [&] {
            impl->connection = sdbus::createSessionBusConnectionWithAddress(address);
            impl->connection->setMethodCallTimeout(options.call_timeout);
        });
    if (!connected) {
        return connected.error();
    }
    for (auto step : {&Impl::find_provider, &Impl::open_session, &Impl::resolve_default}) {
        if (auto done = ((*impl).*step)(); !done) {
            return done.error();
        }
    }
    return std::unique_ptr<SecretServiceVault>(new SecretServiceVault(std::move(impl)));
}

std::string SecretServiceVault::description() const {
    return "secret-service (" + impl_->provider + ", " + impl_->algorithm + ", " +
           std::string(impl_->collection) + ")";
}

std::string_view SecretServiceVault::session_algorithm() const noexcept {
    return impl_->algorithm;
}

const std::string& SecretServiceVault::provider() const noexcept {
    return impl_->provider;
}

const std::string& SecretServiceVault::collection() const noexcept {
    return impl_->collection;
}

Result<std::optional<Secret>> SecretServiceVault::load_key() {
    // A locked collection may hide its items from a search; only an unlocked one can answer
    // "there is no key" truthfully.
    if (auto open = impl_->ensure_collection_unlocked(); !open) {
        return open.error();
    }
    auto items = impl_->find_items();
    if (!items) {
        return items.error();
    }
    if (items->empty()) {
        return std::optional<Secret>();
    }
    if (items->size() > 1) {
        log::logger("store")->warn("{} data key items in {}; using {}", items->size(),
                                   std::string(impl_->collection), std::string(items->front()));
    }
    return impl_->read_item(items->front());
}

Result<void> SecretServiceVault::store_key(const Secret& key) {
    if (auto open = impl_->ensure_collection_unlocked(); !open) {
        return open;
    }

    SecretValue secret;
    secret.get<0>() = impl_->session;
    if (impl_->dh) {
        auto sealed = impl_->dh->encrypt(key.reveal(), secret.get<1>());
        if (!sealed) {
            return sealed.error();
        }
        secret.get<2>() = std::move(*sealed);
    } else {
        secret.get<2>().assign(key.reveal().begin(), key.reveal().end());
    }
    secret.get<3>() = "text/plain";

    auto attributes = key_attributes();
    attributes["xdg:schema"] = "org.vegha.Broker.DataKey";
    std::map<std::string, sdbus::Variant> properties{
        {"org.freedesktop.Secret.Item.Label", sdbus::Variant(std::string("vegha-broker data key"))},
        {"org.freedesktop.Secret.Item.Attributes", sdbus::Variant(attributes)},
    };

    // replace=true: an item with the same attributes is updated in place, not duplicated.
    sdbus::ObjectPath item;
    sdbus::ObjectPath prompt;
    auto collection = sdbus::createProxy(*impl_->connection, kBusName, impl_->collection);
    auto created = guarded("storing the data key", impl_->timeout(), [&] {
        collection->callMethod("CreateItem")
            .onInterface(kCollectionIface)
            .withTimeout(impl_->timeout())
            .withArguments(properties, secret, true)
            .storeResultsTo(item, prompt);
    });
    std::fill(secret.get<2>().begin(), secret.get<2>().end(), 0);
    if (!created) {
        return created;
    }
    // Some providers (KeePassXC) confirm every write through a prompt, even without a UI.
    if (prompt != kNoPrompt) {
        sdbus::Variant answer;
        if (auto answered = impl_->run_prompt(prompt, "store", answer); !answered) {
            return answered;
        }
        if (answer.containsValueOfType<sdbus::ObjectPath>()) {
            item = answer.get<sdbus::ObjectPath>();
        }
    }
    if (item.empty() || item == kNoPrompt) {
        return make_error(Errc::kStoreFailed,
                          "the Secret Service did not say which item it stored");
    }

    auto back = impl_->read_item(item);
    if (!back) {
        return back.error();
    }
    if (!*back || !(**back == key)) {
        return make_error(Errc::kStoreFailed,
                          "the data key read back from the Secret Service differs from the one "
                          "stored");
    }
    return {};
}

}  // namespace vegha::store::secret_service
