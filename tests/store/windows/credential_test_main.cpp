// The Windows path of the token store, run under Wine: the data key in the Credential
// Manager (create, read, update in place, refuse oversize, delete) and a 6 KB grant through
// the same steps the sealed file store takes (serialise, seal under the key with CNG's
// AES-256-GCM, replace the file atomically, read back, open, parse). Prints one line per
// check; exits 1 if any failed.

// clang-format off
#include <windows.h>
#include <wincred.h>
// clang-format on

#include <boost/json/src.hpp>
#include <cstdio>
#include <filesystem>

#include "store/atomic_file.hpp"
#include "store/crypto.hpp"
#include "store/grant_record.hpp"
#include "store/sealed_box.hpp"
#include "store/windows/credential_vault.hpp"

namespace {

using namespace vegha;
using namespace vegha::store;

int failures = 0;

void check(bool ok, const char* what, const std::string& detail = {}) {
    std::printf("%s %s%s%s\n", ok ? "ok  " : "FAIL", what, detail.empty() ? "" : ": ",
                detail.c_str());
    if (!ok) {
        ++failures;
    }
}

int credentials_named(const wchar_t* filter) {
    DWORD count = 0;
    PCREDENTIALW* list = nullptr;
    if (!CredEnumerateW(filter, 0, &count, &list)) {
        return 0;
    }
    CredFree(list);
    return static_cast<int>(count);
}

std::string hex_key(const std::string& raw) {
    std::string hex;
    for (unsigned char c : raw) {
        hex += "0123456789abcdef"[c >> 4];
        hex += "0123456789abcdef"[c & 0x0f];
    }
    return hex;
}

GrantRecord six_kilobyte_grant() {
    GrantRecord record;
    record.id = grant_id_for("wine-test-cache-key");
    record.profile = "wine";
    record.access_token = Secret(std::string(3000, 'A'));
    record.refresh_token = Secret(std::string(2000, 'R'));
    record.id_token = Secret(std::string(1200, 'I'));
    record.token_type = "Bearer";
    record.expires_at = std::chrono::sys_seconds(std::chrono::seconds(1'900'000'000));
    record.scope = "openid offline_access";
    record.issuer = "https://idp.example";
    record.token_endpoint = "https://idp.example/token";
    record.client_id = "wine-client";
    return record;
}

void key_in_credential_manager() {
    windows::CredentialVault vault(L"vegha-broker-test/data-key");
    (void)vault.erase_key();

    auto none = vault.load_key();
    check(none && !*none, "a missing credential reads as no key");

    auto first = crypto::random_bytes(crypto::kKeyBytes);
    const Secret key(hex_key(first ? *first : std::string()));
    auto stored = vault.store_key(key);
    check(bool(stored), "store the data key (verified by read-back)",
          stored ? "" : stored.error().message);

    auto back = vault.load_key();
    check(back && *back && **back == key, "read the data key back");

    const Secret replacement(std::string(64, 'f'));
    auto updated = vault.store_key(replacement);
    auto after = vault.load_key();
    check(updated && after && *after && **after == replacement, "update the key in place");
    check(credentials_named(L"vegha-broker-test/*") == 1, "still exactly one credential");

    auto oversize = vault.store_key(Secret(std::string(2561, 'x')));
    check(!oversize && oversize.error().code == Errc::kStoreFailed,
          "refuse a blob over the 2,560-byte limit");
    auto unchanged = vault.load_key();
    check(unchanged && *unchanged && **unchanged == replacement,
          "the refused write left the key as it was");

    check(bool(vault.erase_key()), "delete the credential");
    auto gone = vault.load_key();
    check(gone && !*gone, "a deleted credential reads as no key");
}

void six_kilobyte_grant_round_trip() {
    windows::CredentialVault vault(L"vegha-broker-test/grant-key");
    auto raw = crypto::random_bytes(crypto::kKeyBytes);
    check(raw && raw->size() == crypto::kKeyBytes, "draw a data key from BCryptGenRandom");
    check(bool(vault.store_key(Secret(hex_key(*raw)))), "keep it in the Credential Manager");

    const auto record = six_kilobyte_grant();
    const auto json = serialise(record);
    check(json.size() > 6000, "the grant is over 6 KB", std::to_string(json.size()) + " bytes");

    auto box = seal_box(*raw, json.reveal());
    check(bool(box), "seal it with AES-256-GCM (CNG)");
    const auto file = std::filesystem::temp_directory_path() / "vegha-wine-test" / "grants.sealed";
    auto written = write_file_atomically(file, *box);
    check(bool(written), "replace the sealed file atomically",
          written ? "" : written.error().message);
    auto bytes = read_whole_file(file);
    check(bytes && *bytes && (*bytes)->find(std::string(64, 'A')) == std::string::npos,
          "the file holds no token in plaintext");

    auto key_back = vault.load_key();
    check(key_back && *key_back && (*key_back)->reveal() == hex_key(*raw),
          "read the key back from the Credential Manager");
    auto opened = open_box(*raw, **bytes);
    check(bool(opened), "open the sealed file");
    auto parsed = opened ? parse_grant_record(*opened) : parse_grant_record("");
    check(parsed && parsed->access_token == record.access_token &&
              parsed->refresh_token == record.refresh_token &&
              parsed->id_token == record.id_token && parsed->expires_at == record.expires_at &&
              parsed->client_id == record.client_id,
          "the 6 KB grant round-trips");

    auto tampered = **bytes;
    tampered[tampered.size() / 2] ^= 1;
    check(!open_box(*raw, tampered), "a flipped byte is refused");

    std::error_code ec;
    std::filesystem::remove_all(file.parent_path(), ec);
    (void)vault.erase_key();
}

}  // namespace

int main() {
    key_in_credential_manager();
    six_kilobyte_grant_round_trip();
    std::printf("%s (%d failed)\n", failures == 0 ? "PASS" : "FAIL", failures);
    return failures == 0 ? 0 : 1;
}
