#!/usr/bin/env node
// The "system browser" of the browser tests. The login under test starts it the way it
// starts a real browser, with the URL to open as the only argument; it runs Debian's
// Chromium headless and acts as the user on the demo provider's development pages: it
// signs in, then accepts or declines the consent, and stops once the browser has been sent
// back to the loopback redirect (or has shown the device flow's success page).
//
//   node drive-login.mjs URL
//
// Environment:
//   LOGIN_USER, LOGIN_PASSWORD   account for the login form (alice / wonderland)
//   CONSENT                      accept (default) or deny
//   DRIVE_ACTION                 login (default); none: open the page and leave, as a user
//                                who never finishes; strays-first: before signing in,
//                                visit a stray path and a stale-state callback on the
//                                loopback listener and check that both are turned away
//   REDIRECT_PATH                path of the loopback redirect (/callback)
//   VEGHA_TEST_BROWSER_LAUNCHES  file that gets one line per start of this script
//   CHROMIUM                     browser binary (/usr/bin/chromium)
//
// Exit status 0 when the walk went as asked, 1 otherwise; diagnostics on stderr, never
// with a code, a state or a token in them.

import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

// playwright-core lives with the demo provider's packages (idp/node_modules).
const require = createRequire(new URL('../../idp/package.json', import.meta.url));
const { chromium } = require('playwright-core');

const OVERALL_TIMEOUT_MS = 45_000;
const STEP_TIMEOUT_MS = 15_000;
const MAX_STEPS = 12;

// The browser of this run, for the overall timeout to clean up.
let running;

// The flags the test bed recommends for a headless Chromium on these machines.
const CHROMIUM_FLAGS = [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--disable-dev-shm-usage',
    '--no-proxy-server',
    '--remote-debugging-port=0',
];

function say(message) {
    process.stderr.write(`drive-login: ${message}\n`);
}

// Only scheme, host and path: the query carries the state and the PKCE challenge.
function shown(url) {
    try {
        const parsed = new URL(url);
        // The first path segment only: an interaction id is a session handle.
        return `${parsed.origin}/${parsed.pathname.split("/")[1] ?? ""}`;
    } catch {
        return '(not a URL)';
    }
}

async function startChromium(profileDir) {
    const binary = process.env.CHROMIUM ?? '/usr/bin/chromium';
    // Its own process group, so that every helper process goes when the group is killed.
    const child = spawn(binary, [...CHROMIUM_FLAGS, `--user-data-dir=${profileDir}`, 'about:blank'], {
        detached: true,
        stdio: 'ignore',
        env: { ...process.env, TMPDIR: profileDir },
    });
    const portFile = join(profileDir, 'DevToolsActivePort');
    for (let waited = 0; waited < 15_000; waited += 50) {
        if (existsSync(portFile)) {
            const port = readFileSync(portFile, 'utf8').split('\n')[0];
            if (/^[0-9]+$/.test(port)) {
                return { child, endpoint: `http://127.0.0.1:${port}` };
            }
        }
        if (child.exitCode !== null) {
            break;
        }
        await sleep(50);
    }
    killGroup(child);
    throw new Error('Chromium did not open its debugging port');
}

function killGroup(child) {
    try {
        process.kill(-child.pid, 'SIGKILL');
    } catch {
        // already gone
    }
}

async function visible(page, selector) {
    return (await page.locator(selector).count()) > 0;
}

// One step on whatever page is showing; returns 'done' once the walk has ended.
async function step(page, options) {
    const url = new URL(page.url());
    if (url.pathname === options.redirectPath) {
        return 'done';
    }
    if ((await page.title()) === 'Sign-in Success') {
        return 'done';
    }
    if (await visible(page, 'input[name=login]')) {
        say(`signing in as ${options.user} at ${shown(page.url())}`);
        await page.fill('input[name=login]', options.user);
        await page.fill('input[name=password]', options.password);
        await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
        return 'next';
    }
    if (await visible(page, 'input[name=prompt][value=consent]')) {
        say(`consent page: ${options.consent}`);
        const target = options.consent === 'deny' ? 'a[href*="/abort"]' : 'button[type=submit]';
        await Promise.all([page.waitForNavigation(), page.click(target)]);
        return 'next';
    }
    if (await visible(page, 'form[id="op.deviceConfirmForm"]')) {
        say(`device confirmation page: ${options.consent}`);
        const target = options.consent === 'deny' ? 'button[name=abort]' : 'button[autofocus]';
        await Promise.all([page.waitForNavigation(), page.click(target)]);
        return options.consent === 'deny' ? 'done' : 'next';
    }
    throw new Error(`no known form at ${shown(page.url())}: ${(await page.title()) || 'untitled'}`);
}

// Visits the listener the way a stale tab and a stray favicon fetch would.
async function visitStrays(page, authorizationUrl) {
    const redirect = new URL(new URL(authorizationUrl).searchParams.get('redirect_uri'));
    const stray = await page.goto(`${redirect.origin}/favicon.ico`);
    const stale = await page.goto(`${redirect.href}?code=stale-code&state=stale-state`);
    say(`stray request: ${stray.status()}, stale state: ${stale.status()}`);
    if (stray.status() !== 404 || stale.status() !== 400) {
        throw new Error('the listener did not turn away a stray or stale request');
    }
}

async function drive(authorizationUrl, options) {
    const profileDir = mkdtempSync(join(tmpdir(), 'vegha-chromium-'));
    let chrome;
    try {
        chrome = await startChromium(profileDir);
        running = { child: chrome.child, profileDir };
        const browser = await chromium.connectOverCDP(chrome.endpoint);
        const context = browser.contexts()[0];
        const page = context.pages()[0] ?? (await context.newPage());
        page.setDefaultTimeout(STEP_TIMEOUT_MS);

        if (options.action === 'strays-first') {
            await visitStrays(page, authorizationUrl);
        }
        say(`opening ${shown(authorizationUrl)}`);
        await page.goto(authorizationUrl);
        if (options.action === 'none') {
            say('leaving without signing in');
            return;
        }
        for (let i = 0; i < MAX_STEPS; ++i) {
            if ((await step(page, options)) === 'done') {
                say(`finished at ${shown(page.url())}`);
                return;
            }
        }
        throw new Error('too many pages without reaching the redirect');
    } finally {
        if (chrome) {
            killGroup(chrome.child);
            if (chrome.child.exitCode === null && chrome.child.signalCode === null) {
                await once(chrome.child, 'exit');
            }
        }
        rmSync(profileDir, { recursive: true, force: true });
    }
}

async function main() {
    const authorizationUrl = process.argv[2];
    if (process.env.VEGHA_TEST_BROWSER_LAUNCHES) {
        appendFileSync(process.env.VEGHA_TEST_BROWSER_LAUNCHES, `${process.pid}\n`);
    }
    if (!authorizationUrl || process.argv.length !== 3) {
        say('usage: node drive-login.mjs URL');
        process.exit(2);
    }
    const options = {
        user: process.env.LOGIN_USER ?? 'alice',
        password: process.env.LOGIN_PASSWORD ?? 'wonderland',
        consent: process.env.CONSENT === 'deny' ? 'deny' : 'accept',
        action: process.env.DRIVE_ACTION ?? 'login',
        redirectPath: process.env.REDIRECT_PATH ?? '/callback',
    };

    const timer = setTimeout(() => {
        say(`gave up after ${OVERALL_TIMEOUT_MS} ms`);
        if (running) {
            killGroup(running.child);
            rmSync(running.profileDir, { recursive: true, force: true });
        }
        process.exit(1);
    }, OVERALL_TIMEOUT_MS);
    try {
        await drive(authorizationUrl, options);
        clearTimeout(timer);
        process.exit(0);
    } catch (err) {
        say(`failed: ${err.message}`);
        process.exit(1);
    }
}

main();
