#!/usr/bin/env bash
# Runs a command inside a private D-Bus session bus with a real Secret Service provider
# (gnome-keyring), in a throwaway HOME, and cleans everything up afterwards.
#
#   keyring-session.sh [--unlocked|--locked|--no-keyring] -- COMMAND [ARGS...]
#
#   --unlocked    (default) a `login` collection, unlocked, as the `default` alias
#   --locked      the same collection, locked: Unlock needs a prompt, which headless is
#                 dismissed
#   --no-keyring  a bus with nothing owning or able to start org.freedesktop.secrets
#
# The command sees VEGHA_TESTBED_KEYRING=unlocked|locked|none and DISPLAY unset. The bus
# loads no service files, so nothing is auto-started behind the test's back. Exits with the
# command's status, or 2 when the test bed itself cannot be set up.
set -euo pipefail

usage() {
    sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
}

mode=unlocked
while (($#)); do
    case $1 in
        --unlocked) mode=unlocked ;;
        --locked) mode=locked ;;
        --no-keyring) mode=none ;;
        --inside) inside=1 ;;
        --) shift; break ;;
        *) usage ;;
    esac
    shift
done
(($#)) || usage

as_root() {
    if [[ $(id -u) -eq 0 ]]; then "$@"; else sudo "$@"; fi
}

# Deadline-bounded wait until $1 owns a name on the current session bus.
wait_for_name() {
    local name=$1 tries=100
    while ((tries--)); do
        if dbus-send --session --print-reply=literal --reply-timeout=1000 \
            --dest=org.freedesktop.DBus /org/freedesktop/DBus \
            org.freedesktop.DBus.NameHasOwner "string:$name" 2>/dev/null | grep -q true; then
            return 0
        fi
        sleep 0.1
    done
    echo "keyring-session: $name did not appear on the bus within 10 s" >&2
    return 1
}

name_owner_pid() {
    dbus-send --session --print-reply=literal --reply-timeout=2000 \
        --dest=org.freedesktop.DBus /org/freedesktop/DBus \
        org.freedesktop.DBus.GetConnectionUnixProcessID "string:$1" | awk '{print $2}'
}

if [[ ${inside:-0} -eq 1 ]]; then
    # Inside the private bus: start the provider, shape it, run the command.
    keyring_pid=
    cleanup() {
        if [[ -n $keyring_pid ]]; then
            kill "$keyring_pid" 2>/dev/null || true
        fi
    }
    trap cleanup EXIT

    if [[ $mode != none ]]; then
        # --unlock reads the new login keyring's password from stdin and makes it `default`.
        printf '%s' vegha-test-password |
            timeout 10 gnome-keyring-daemon --unlock --components=secrets >/dev/null
        wait_for_name org.freedesktop.secrets || exit 2
        keyring_pid=$(name_owner_pid org.freedesktop.secrets)
    fi
    if [[ $mode == locked ]]; then
        dbus-send --session --print-reply --reply-timeout=5000 --dest=org.freedesktop.secrets \
            /org/freedesktop/secrets org.freedesktop.Secret.Service.Lock \
            array:objpath:/org/freedesktop/secrets/collection/login >/dev/null || exit 2
    fi

    export VEGHA_TESTBED_KEYRING=$mode
    set +e
    "$@"
    status=$?
    set -e
    exit $status
fi

missing=()
command -v gnome-keyring-daemon >/dev/null || missing+=(gnome-keyring)
command -v dbus-run-session >/dev/null || missing+=(dbus)
command -v dbus-send >/dev/null || missing+=(dbus-bin)
command -v secret-tool >/dev/null || missing+=(libsecret-tools)
if ((${#missing[@]})); then
    echo "keyring-session: installing ${missing[*]}" >&2
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -qq --no-install-recommends "${missing[@]}" dbus-x11 >/dev/null
fi

root=$(mktemp -d "${TMPDIR:-/tmp}/vegha-keyring.XXXXXX")
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/home" "$root/data" "$root/config" "$root/state" "$root/cache" "$root/runtime"
chmod 700 "$root/runtime"

# A session bus like the desktop's, minus service activation.
cat >"$root/bus.conf" <<CONF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:dir=$root/runtime</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
CONF

status=0
env -u DISPLAY -u WAYLAND_DISPLAY -u DBUS_SESSION_BUS_ADDRESS -u GNOME_KEYRING_CONTROL \
    HOME="$root/home" XDG_DATA_HOME="$root/data" XDG_CONFIG_HOME="$root/config" \
    XDG_STATE_HOME="$root/state" XDG_CACHE_HOME="$root/cache" XDG_RUNTIME_DIR="$root/runtime" \
    dbus-run-session --config-file="$root/bus.conf" -- \
    "$0" --inside "--${mode/none/no-keyring}" -- "$@" 2> >(grep -v 'Failed to set fd limit' >&2) ||
    status=$?
exit $status
