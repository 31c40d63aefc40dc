#pragma once

// The redirect endpoint of a browser login: a tiny HTTP server on a loopback address that
// waits for the one request the provider sends the browser to (RFC 8252 §7.3, §8.3). It is
// bound when it is created, before any browser opens, and keeps its socket until the login
// ends, so no other program can take the port in between.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/url/url_view.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/secret.hpp"

namespace vegha::login {

// The authorization response (RFC 6749 §4.1.2) once its `state` has matched.
struct CallbackResult {
    Secret code;
    // The `iss` parameter (RFC 9207 §2), when the provider sent one.
    std::optional<std::string> issuer;
};

class LoopbackListener {
public:
    // Binds the address that `registered_redirect` names and starts listening:
    //  - http://127.0.0.1/path (any 127.0.0.0/8 literal) or http://[::1]/path: that address;
    //  - http://localhost/path: both 127.0.0.1 and ::1 on the same port, because the
    //    browser may resolve the name to either (RFC 8252 §8.3);
    //  - no port, or port 0: an ephemeral port chosen by the system (RFC 8252 §7.3); a
    //    registered port is used as is.
    // Fails with kInvalidRequest for a redirect that is not http:// on a loopback host (no
    // other address is ever bound), and kNetwork when the port is taken (the message names
    // it) or ::1 cannot be bound for a localhost redirect. Never throws for those.
    static Result<LoopbackListener> bind(boost::asio::any_io_executor executor,
                                         boost::urls::url_view registered_redirect);

    LoopbackListener(LoopbackListener&&) noexcept;
    LoopbackListener& operator=(LoopbackListener&&) noexcept;
    ~LoopbackListener();

    // The registered redirect with the bound port filled in. Send exactly these bytes as
    // redirect_uri in both the authorization request and the token request
    // (RFC 6749 §4.1.3).
    const std::string& redirect_uri() const noexcept;
    unsigned short port() const noexcept;

    // The addresses listened on (one, or two for localhost); empty once closed.
    std::vector<boost::asio::ip::tcp::endpoint> local_endpoints() const;

    // Serves requests until the authorization response for `expected_state` arrives or the
    // deadline passes, then closes the listening sockets and every open connection, which
    // releases the port. Only a GET of the exact callback path with the expected `state`
    // ends the wait:
    //  - any other path gets 404, a wrong or missing state gets an error page, a request
    //    over 8 KB gets 431; the wait goes on after each;
    //  - `code`: a friendly page, and the code;
    //  - `error`: a page saying so, and kIdpError carrying the provider's error and
    //    description (access_denied when the user declined);
    //  - `iss` that differs from `expected_issuer` (when one is given): kInvalidRequest,
    //    with nothing to exchange (RFC 9207 §2.4).
    // Every answer carries Connection: close. Fails with kTimeout at the deadline, and
    // kInternal when called a second time. Must be awaited on the executor given to
    // bind(); the listener must outlive the wait. Not thread-safe.
    boost::asio::awaitable<Result<CallbackResult>> wait_for_callback(
        Secret expected_state, std::optional<std::string> expected_issuer,
        std::chrono::steady_clock::time_point deadline);

    // Stops listening and releases the port; idempotent.
    void close() noexcept;

private:
    struct Impl;
    explicit LoopbackListener(std::unique_ptr<Impl> impl);

    std::unique_ptr<Impl> impl_;
};

}  // namespace vegha::login
