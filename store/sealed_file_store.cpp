#include "store/sealed_file_store.hpp"

#include <boost/json/array.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <chrono>

#include "core/log.hpp"
#include "store/atomic_file.hpp"
#include "store/crypto.hpp"
#include "store/sealed_box.hpp"

namespace vegha::store {
namespace {

// The keystore item holds the key as hex text: every provider stores text faithfully, not
// every one stores arbitrary bytes (KeePassXC keeps passwords as strings).
constexpr std::string_view kHexDigits = "0123456789abcdef";

Secret encode_key(std::string_view raw) {
    std::string hex;
    hex.reserve(raw.size() * 2);
    for (unsigned char c : raw) {
        hex.push_back(kHexDigits[c >> 4]);
        hex.push_back(kHexDigits[c & 0x0f]);
    }
    return Secret(std::move(hex));
}

Result<Secret> decode_key(const Secret& stored) {
    const auto hex = stored.reveal();
    if (hex.size() != crypto::kKeyBytes * 2) {
        return make_error(Errc::kStoreFailed,
                          "the keystore item is not a vegha-broker data key (wrong length)");
    }
    std::string raw(crypto::kKeyBytes, '\0');
    for (std::size_t i = 0; i < raw.size(); ++i) {
        auto hi = kHexDigits.find(hex[2 * i]);
        auto lo = kHexDigits.find(hex[2 * i + 1]);
        if (hi == std::string_view::npos || lo == std::string_view::npos) {
            crypto::wipe(raw);
            return make_error(Errc::kStoreFailed,
                              "the keystore item is not a vegha-broker data key (not hex)");
        }
        raw[i] = static_cast<char>(hi << 4 | lo);
    }
    return Secret(std::move(raw));
}

Result<void> set_aside(const std::filesystem::path& file) {
    std::error_code ec;
    if (!std::filesystem::exists(file, ec)) {
        return {};
    }
    auto seconds = std::chrono::duration_cast<std::chrono::seconds>(
        std::chrono::system_clock::now().time_since_epoch());
    auto aside = file;
    aside += ".orphaned-" + std::to_string(seconds.count());
    std::filesystem::rename(file, aside, ec);
    if (ec) {
        return make_error(Errc::kStoreFailed, "cannot set aside " + file.string() +
                                                  " sealed under a lost key: " + ec.message());
    }
    log::logger("store")->warn(
        "the keystore has no data key for {}; it was sealed under a key that is gone, so it is "
        "kept as {} and stored grants start empty",
        file.string(), aside.string());
    return {};
}

Error unreadable(const std::filesystem::path& file, const Error& cause) {
    return make_error(Errc::kStoreFailed, "cannot use the sealed grants file " + file.string() +
                                              ": " + cause.message +
                                              "; it is left untouched (remove it to start afresh)");
}

}  // namespace

Result<std::unique_ptr<SealedFileStore>> SealedFileStore::open(std::unique_ptr<KeyVault> vault,
                                                               std::filesystem::path file) {
    auto stored = vault->load_key();
    if (!stored) {
        return stored.error();
    }
    if (*stored) {
        auto key = decode_key(**stored);
        if (!key) {
            return key.error();
        }
        return std::unique_ptr<SealedFileStore>(
            new SealedFileStore(std::move(vault), std::move(file), std::move(*key)));
    }

    // The keystore positively has no key (a locked one is an error above), so whatever file
    // is there can never be opened again.
    if (auto moved = set_aside(file); !moved) {
        return moved.error();
    }
    auto raw = crypto::random_bytes(crypto::kKeyBytes);
    if (!raw) {
        return raw.error();
    }
    Secret key(std::move(*raw));
    if (auto saved = vault->store_key(encode_key(key.reveal())); !saved) {
        return saved.error();
    }
    log::logger("store")->info("created a new data key in {}", vault->description());
    return std::unique_ptr<SealedFileStore>(
        new SealedFileStore(std::move(vault), std::move(file), std::move(key)));
}

SealedFileStore::SealedFileStore(std::unique_ptr<KeyVault> vault, std::filesystem::path file,
                                 Secret key)
    : vault_(std::move(vault)), file_(std::move(file)), key_(std::move(key)) {}

std::string SealedFileStore::description() const {
    return vault_->description() + " + sealed file " + file_.string();
}

Result<std::map<std::string, GrantRecord>> SealedFileStore::read_records() const {
    std::map<std::string, GrantRecord> records;
    auto bytes = read_whole_file(file_);
    if (!bytes) {
        return bytes.error();
    }
    if (!*bytes) {
        return records;
    }
    auto plain = open_box(key_.reveal(), **bytes);
    if (!plain) {
        return unreadable(file_, plain.error());
    }
    Secret document(std::move(*plain));

    boost::system::error_code ec;
    auto root = boost::json::parse(document.reveal(), ec);
    const auto* object = root.if_object();
    const auto* version = object ? object->if_contains("v") : nullptr;
    const auto* grants = object ? object->if_contains("grants") : nullptr;
    if (ec || version == nullptr || grants == nullptr || !grants->is_array()) {
        return unreadable(file_, make_error(Errc::kStoreFailed, "not a grants document"));
    }
    if (!version->is_int64() || version->get_int64() != kGrantRecordVersion) {
        return unreadable(file_, make_error(Errc::kStoreFailed, "unsupported document version"));
    }
    for (const auto& value : grants->get_array()) {
        auto record = from_json(value);
        if (!record) {
            return unreadable(file_, record.error());
        }
        auto id = record->id;
        records.insert_or_assign(std::move(id), std::move(*record));
    }
    return records;
}

Result<void> SealedFileStore::write_records(const std::map<std::string, GrantRecord>& records) {
    boost::json::array grants;
    for (const auto& [id, record] : records) {
        grants.push_back(to_json(record));
    }
    boost::json::object root;
    root["v"] = kGrantRecordVersion;
    root["grants"] = std::move(grants);
    Secret document(boost::json::serialize(root));
    // TODO: boost::json's own buffers (root, grants) are freed without being wiped; a
    // wiping memory_resource would close that window.

    auto box = seal_box(key_.reveal(), document.reveal());
    if (!box) {
        return box.error();
    }
    if (auto written = write_file_atomically(file_, *box); !written) {
        return written;
    }

    // Read back what the disk now holds and compare it with what was meant.
    auto back = read_whole_file(file_);
    if (!back || !*back) {
        return make_error(Errc::kStoreFailed, "cannot read back " + file_.string());
    }
    auto plain = open_box(key_.reveal(), **back);
    if (!plain) {
        return unreadable(file_, plain.error());
    }
    Secret reread(std::move(*plain));
    if (!(reread == document)) {
        return make_error(Errc::kStoreFailed,
                          "read-back of " + file_.string() + " differs from what was written");
    }
    return {};
}

Result<void> SealedFileStore::save(const GrantRecord& record) {
    if (record.id.empty()) {
        return make_error(Errc::kInvalidRequest, "a grant record needs an id");
    }
    auto records = read_records();
    if (!records) {
        return records.error();
    }
    records->insert_or_assign(record.id, record);
    return write_records(*records);
}

Result<std::optional<GrantRecord>> SealedFileStore::load(std::string_view grant_id) {
    auto records = read_records();
    if (!records) {
        return records.error();
    }
    auto found = records->find(std::string(grant_id));
    if (found == records->end()) {
        return std::optional<GrantRecord>();
    }
    return std::optional<GrantRecord>(std::move(found->second));
}

Result<std::vector<GrantRecord>> SealedFileStore::load_all() {
    auto records = read_records();
    if (!records) {
        return records.error();
    }
    std::vector<GrantRecord> all;
    all.reserve(records->size());
    for (auto& [id, record] : *records) {
        all.push_back(std::move(record));
    }
    return all;
}

Result<void> SealedFileStore::erase(std::string_view grant_id) {
    auto records = read_records();
    if (!records) {
        return records.error();
    }
    if (records->erase(std::string(grant_id)) == 0) {
        return {};
    }
    return write_records(*records);
}

}  // namespace vegha::store
