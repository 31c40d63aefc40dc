#!/usr/bin/env node
// A demo OpenID provider for the vegha-broker README demo and integration tests.
//
// It runs the real oidc-provider package with a fixed set of clients and users, adds the
// resource owner password grant (which oidc-provider does not ship), and exposes request
// counters under /_test/ so tests can check how often the broker talked to the token
// endpoint. Everything is kept in memory and lost on exit.
//
// stdout carries exactly one line, the ready line, so a harness can read it and parse
// the issuer. Every other message goes to stderr and never contains a token, code,
// secret or password.

import { createHash, generateKeyPairSync, randomBytes, timingSafeEqual } from 'node:crypto';
import { once } from 'node:events';
import { renameSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { BlockList, isIPv4, isIPv6 } from 'node:net';
import { parseArgs } from 'node:util';

import Provider, { errors } from 'oidc-provider';

const USAGE = `usage: node demo-idp.mjs [options]

  --port N                     port to listen on (default 0: an ephemeral port)
  --host ADDRESS               loopback IP literal to listen on (default 127.0.0.1)
  --access-token-ttl SECONDS   lifetime of access tokens (default 3600)
  --refresh-token-ttl SECONDS  lifetime of refresh tokens (default 86400)
  --ready-file PATH            also write the ready line to PATH (atomically)
  --exit-on-stdin-close        exit when stdin reaches end of file
  --help                       print this message
`;

const API_SCOPES = ['api:read', 'api:write'];
const USER_SCOPES = ['openid', 'profile', 'email', 'offline_access', ...API_SCOPES];

// Grant lifetime floor: a grant must outlive every refresh token issued under it, or
// the refresh grant fails with "grant is expired" while the refresh token is still valid.
const MIN_GRANT_TTL = 14 * 24 * 60 * 60;

// ---------------------------------------------------------------------------------------
// Diagnostics

// oidc-provider prints its "you SHOULD change this default" notices with console.info,
// which writes to stdout and would break the one-line contract. Send them to stderr.
function keepStdoutForTheReadyLine() {
    console.log = console.error;
    console.info = console.error;
    console.debug = console.error;
}

function log(message) {
    process.stderr.write(`demo-idp: ${message}\n`);
}

// ---------------------------------------------------------------------------------------
// Command line

class UsageError extends Error {}

function parseCommandLine(argv) {
    let parsed;
    try {
        parsed = parseArgs({
            args: argv,
            strict: true,
            allowPositionals: false,
            options: {
                port: { type: 'string', default: '0' },
                host: { type: 'string', default: '127.0.0.1' },
                'access-token-ttl': { type: 'string', default: '3600' },
                'refresh-token-ttl': { type: 'string', default: '86400' },
                'ready-file': { type: 'string' },
                'exit-on-stdin-close': { type: 'boolean', default: false },
                help: { type: 'boolean', default: false },
            },
        });
    } catch (err) {
        throw new UsageError(err.message);
    }

    const { values } = parsed;
    return {
        help: values.help,
        port: parseInteger('--port', values.port, 0, 65535),
        host: requireLoopback(values.host),
        accessTokenTtl: parseInteger('--access-token-ttl', values['access-token-ttl'], 1),
        refreshTokenTtl: parseInteger('--refresh-token-ttl', values['refresh-token-ttl'], 1),
        readyFile: values['ready-file'],
        exitOnStdinClose: values['exit-on-stdin-close'],
    };
}

function parseInteger(flag, text, min, max = Number.MAX_SAFE_INTEGER) {
    if (!/^[0-9]+$/.test(text)) {
        throw new UsageError(`${flag} needs a whole number, got '${text}'`);
    }
    const value = Number(text);
    if (value < min || value > max) {
        const range = max === Number.MAX_SAFE_INTEGER ? `at least ${min}` : `${min} to ${max}`;
        throw new UsageError(`${flag} must be ${range}, got ${value}`);
    }
    return value;
}

// The provider hands out real credentials for fixed, published secrets: it must never be
// reachable from another machine. Only IP literals are accepted, because the issuer is
// built from the host and "localhost" may resolve to either address family.
function requireLoopback(host) {
    const loopback = new BlockList();
    loopback.addSubnet('127.0.0.0', 8, 'ipv4');
    loopback.addAddress('::1', 'ipv6');

    const family = isIPv4(host) ? 'ipv4' : isIPv6(host) ? 'ipv6' : undefined;
    if (family === undefined || !loopback.check(host, family)) {
        throw new UsageError(`--host must be a loopback IP address, got '${host}'`);
    }
    return host;
}

function issuerFor(host, port) {
    const literal = isIPv6(host) ? `[${host}]` : host;
    return `http://${literal}:${port}`;
}

// ---------------------------------------------------------------------------------------
// Users

const USERS = new Map([
    ['alice', { password: 'wonderland', name: 'Alice Liddell', email: 'alice@example.com' }],
    ['bob', { password: 'builder', name: 'Bob the Builder', email: 'bob@example.com' }],
]);

// Hashing both sides first gives equal-length buffers, so timingSafeEqual can compare
// them without revealing the length of the expected password.
function sameSecret(given, expected) {
    const digest = (text) => createHash('sha256').update(text, 'utf8').digest();
    return timingSafeEqual(digest(given), digest(expected));
}

function authenticate(username, password) {
    const user = USERS.get(username);
    const expected = user ? user.password : 'no such user';
    const matches = sameSecret(password, expected);
    return user !== undefined && matches ? username : undefined;
}

async function findAccount(_ctx, accountId) {
    const user = USERS.get(accountId);
    if (user === undefined) {
        return undefined;
    }
    return {
        accountId,
        async claims() {
            return { sub: accountId, email: user.email, name: user.name };
        },
    };
}

// ---------------------------------------------------------------------------------------
// Clients

const CLIENTS = [
    {
        client_id: 'demo-service',
        client_secret: 'demo-service-secret',
        token_endpoint_auth_method: 'client_secret_basic',
        grant_types: ['client_credentials'],
        response_types: [],
        redirect_uris: [],
        scope: API_SCOPES.join(' '),
    },
    {
        client_id: 'demo-service-post',
        client_secret: 'demo-service-post-secret',
        token_endpoint_auth_method: 'client_secret_post',
        grant_types: ['client_credentials'],
        response_types: [],
        redirect_uris: [],
        scope: API_SCOPES.join(' '),
    },
    // The id and secret hold characters that RFC 6749 §2.3.1 requires to be
    // form-encoded before they are joined and base64-encoded into the Basic header.
    {
        client_id: 'cli app',
        client_secret: 'p@ss+w/rd:=1',
        token_endpoint_auth_method: 'client_secret_basic',
        grant_types: ['client_credentials'],
        response_types: [],
        redirect_uris: [],
        scope: 'api:read',
    },
    {
        client_id: 'demo-cli',
        token_endpoint_auth_method: 'none',
        grant_types: ['password', 'refresh_token'],
        response_types: [],
        redirect_uris: [],
        scope: USER_SCOPES.join(' '),
    },
    {
        client_id: 'demo-cli-confidential',
        client_secret: 'demo-cli-secret',
        token_endpoint_auth_method: 'client_secret_basic',
        grant_types: ['password', 'refresh_token'],
        response_types: [],
        redirect_uris: [],
        scope: USER_SCOPES.join(' '),
    },
    // RFC 8252 §7.3: a native app listens on a loopback port chosen at run time, and
    // oidc-provider matches this redirect for any port on native clients.
    {
        client_id: 'demo-native',
        application_type: 'native',
        token_endpoint_auth_method: 'none',
        grant_types: [
            'authorization_code',
            'refresh_token',
            'urn:ietf:params:oauth:grant-type:device_code',
        ],
        response_types: ['code'],
        redirect_uris: ['http://127.0.0.1/callback'],
        scope: USER_SCOPES.join(' '),
    },
];

// ---------------------------------------------------------------------------------------
// Provider configuration

// A fresh signing key per run: oidc-provider's built-in development keys are public.
function signingKeys() {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    return { keys: [{ ...privateKey.export({ format: 'jwk' }), use: 'sig', alg: 'RS256' }] };
}

function providerConfiguration(options) {
    const { accessTokenTtl, refreshTokenTtl } = options;
    return {
        clients: CLIENTS,
        findAccount: findAccount,
        jwks: signingKeys(),
        cookies: { keys: [randomBytes(32).toString('base64url')] },
        scopes: USER_SCOPES,
        claims: { openid: ['sub'], profile: ['name'], email: ['email'] },
        // The default 15 s tolerance would keep a token with a 5 s lifetime valid long
        // after it expired, which defeats the expiry tests.
        clockTolerance: 0,
        ttl: {
            AccessToken: accessTokenTtl,
            ClientCredentials: accessTokenTtl,
            RefreshToken: refreshTokenTtl,
            Grant: Math.max(refreshTokenTtl, accessTokenTtl, MIN_GRANT_TTL),
            IdToken: 3600,
            DeviceCode: 600,
            Interaction: 3600,
            Session: MIN_GRANT_TTL,
        },
        features: {
            clientCredentials: { enabled: true },
            introspection: { enabled: true },
            revocation: { enabled: true },
            // Plain HTML login and consent forms that a driven browser can fill in.
            devInteractions: { enabled: true },
            deviceFlow: { enabled: true },
            resourceIndicators: { enabled: false },
        },
    };
}

// ---------------------------------------------------------------------------------------
// Password grant (RFC 6749 §4.3)

const PASSWORD_GRANT = 'password';

function invalidGrant(description) {
    const err = new errors.InvalidGrant();
    err.error_description = description;
    return err;
}

function requireParameter(params, name) {
    const value = params[name];
    if (typeof value !== 'string' || value === '') {
        throw new errors.InvalidRequest(`missing required parameter '${name}'`);
    }
    return value;
}

// RFC 6749 §3.3: without a scope parameter the client's registered scopes apply, less
// offline_access, so a refresh token is only issued when asked for.
function grantedScopes(params, client) {
    const allowed = new Set(client.scope.split(' '));
    if (params.scope === undefined || params.scope === '') {
        return [...allowed].filter((scope) => scope !== 'offline_access');
    }

    const requested = [...new Set(params.scope.split(' ').filter(Boolean))];
    for (const scope of requested) {
        if (!allowed.has(scope)) {
            throw new errors.InvalidScope('requested scope is not allowed', scope);
        }
    }
    return requested;
}

async function saveGrant(provider, accountId, client, scopes) {
    // No resource indicators: every scope lives in the grant's OpenID section, which
    // is where the built-in refresh_token grant looks for it.
    const grant = new provider.Grant({ accountId, clientId: client.clientId });
    grant.addOIDCScope(scopes.join(' '));
    return grant.save();
}

function wantsRefreshToken(client, scopes) {
    return client.grantTypeAllowed('refresh_token') && scopes.includes('offline_access');
}

function passwordGrantHandler(provider) {
    return async function passwordGrant(ctx) {
        const { client, params } = ctx.oidc;
        // The token endpoint already turns away clients without this grant (as
        // invalid_request); the check stays so the handler is safe on its own.
        if (!client.grantTypes.includes(PASSWORD_GRANT)) {
            throw new errors.UnauthorizedClient('client is not allowed the password grant');
        }

        const username = requireParameter(params, 'username');
        const password = requireParameter(params, 'password');
        const accountId = authenticate(username, password);
        if (accountId === undefined) {
            throw invalidGrant('invalid username or password');
        }

        const scopes = grantedScopes(params, client);
        const scope = scopes.join(' ');
        const grantId = await saveGrant(provider, accountId, client, scopes);

        const common = { accountId, client, grantId, gty: PASSWORD_GRANT, scope };
        const accessToken = new provider.AccessToken(common);
        ctx.oidc.entity('AccessToken', accessToken);
        const body = {
            access_token: await accessToken.save(),
            token_type: accessToken.tokenType,
            expires_in: accessToken.expiration,
            scope,
        };

        if (wantsRefreshToken(client, scopes)) {
            const refreshToken = new provider.RefreshToken({ ...common, rotations: 0 });
            ctx.oidc.entity('RefreshToken', refreshToken);
            body.refresh_token = await refreshToken.save();
        }

        ctx.body = body;
    };
}

// ---------------------------------------------------------------------------------------
// Test hooks: request counters

class Counters {
    constructor() {
        this.reset();
    }

    reset() {
        this.tokenRequests = 0;
        this.byGrantType = new Map();
        this.revocationRequests = 0;
        this.introspectionRequests = 0;
    }

    // Called after the provider has handled the request, so its own body parser has
    // already read the form and the grant type is in ctx.oidc.params.
    record(ctx) {
        if (ctx.method !== 'POST') {
            return;
        }
        switch (ctx.oidc?.route) {
            case 'token':
                this.tokenRequests += 1;
                this.countGrantType(ctx.oidc.params?.grant_type);
                break;
            case 'revocation':
                this.revocationRequests += 1;
                break;
            case 'introspection':
                this.introspectionRequests += 1;
                break;
        }
    }

    countGrantType(grantType) {
        if (typeof grantType === 'string') {
            this.byGrantType.set(grantType, (this.byGrantType.get(grantType) ?? 0) + 1);
        }
    }

    toJson() {
        return {
            token_requests: this.tokenRequests,
            by_grant_type: Object.fromEntries(this.byGrantType),
            revocation_requests: this.revocationRequests,
            introspection_requests: this.introspectionRequests,
        };
    }
}

function countersMiddleware(counters) {
    return async function testHooks(ctx, next) {
        if (ctx.path === '/_test/counters' && ctx.method === 'GET') {
            ctx.set('Cache-Control', 'no-store');
            ctx.body = counters.toJson();
            return;
        }
        if (ctx.path === '/_test/counters/reset' && ctx.method === 'POST') {
            counters.reset();
            ctx.status = 204;
            return;
        }

        try {
            await next();
        } finally {
            counters.record(ctx);
        }
    };
}

// ---------------------------------------------------------------------------------------
// Start-up and shutdown

function createProvider(issuer, options, counters) {
    const provider = new Provider(issuer, providerConfiguration(options));
    provider.registerGrantType(PASSWORD_GRANT, passwordGrantHandler(provider), [
        'username',
        'password',
        'scope',
    ]);
    provider.use(countersMiddleware(counters));

    // Report only the message: a stack or request dump could carry form fields.
    provider.on('server_error', (ctx, err) => {
        log(`server error on ${ctx.method} ${ctx.path}: ${err.message}`);
    });
    provider.on('error', (err) => log(`error: ${err.message}`));
    return provider;
}

function announceReady(issuer, port, readyFile) {
    const line = `${JSON.stringify({ issuer, port })}\n`;
    if (readyFile !== undefined) {
        // A reader polling for the file must never see it half written.
        const temporary = `${readyFile}.${process.pid}.tmp`;
        writeFileSync(temporary, line);
        renameSync(temporary, readyFile);
    }
    process.stdout.write(line);
}

function installShutdown(server, exitOnStdinClose) {
    let stopping = false;
    const stop = (reason) => {
        if (stopping) {
            return;
        }
        stopping = true;
        log(`stopping (${reason})`);
        server.close(() => process.exit(0));
        server.closeAllConnections();
    };

    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));

    // A test harness that dies closes our stdin; leaving would otherwise leak the server.
    if (exitOnStdinClose) {
        process.stdin.on('end', () => stop('stdin closed'));
        process.stdin.on('error', () => stop('stdin error'));
        process.stdin.resume();
    }
}

async function listen(server, host, port) {
    server.listen({ host, port });
    await once(server, 'listening');
    return server.address().port;
}

async function main() {
    keepStdoutForTheReadyLine();

    let options;
    try {
        options = parseCommandLine(process.argv.slice(2));
    } catch (err) {
        if (!(err instanceof UsageError)) {
            throw err;
        }
        process.stderr.write(`demo-idp: ${err.message}\n\n${USAGE}`);
        process.exit(2);
    }
    if (options.help) {
        process.stderr.write(USAGE);
        process.exit(0);
    }

    // The issuer names the port, so with --port 0 the socket is bound before the
    // provider exists. Requests that arrive in between are turned away.
    let handler = (_req, res) => {
        res.writeHead(503).end();
    };
    const server = createServer((req, res) => handler(req, res));
    installShutdown(server, options.exitOnStdinClose);
    const port = await listen(server, options.host, options.port);

    const issuer = issuerFor(options.host, port);
    const provider = createProvider(issuer, options, new Counters());
    handler = provider.callback();

    log(`listening, issuer ${issuer}`);
    announceReady(issuer, port, options.readyFile);
}

main().catch((err) => {
    log(`fatal: ${err.message}`);
    process.exit(1);
});
