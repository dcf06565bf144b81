# Shared set-up for scripts/run and scripts/test (sourced, not executed).
# Creates .venv with Python 3.11 when missing and (re)installs the project only
# when pyproject.toml changed since the last install, so a second run is quick.

NEXUS_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$NEXUS_ROOT/.venv"

find_python() {
    for candidate in python3.11 python3; do
        if command -v "$candidate" >/dev/null 2>&1 &&
            "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null; then
            command -v "$candidate"
            return 0
        fi
    done
    echo "error: Python 3.11 is required (apt-get install python3.11 python3.11-venv)" >&2
    return 1
}

ensure_venv() {
    # $1: the extras to install, e.g. "test" or "" for the app alone.
    local extras="$1" spec stamp want
    if [ ! -x "$VENV/bin/python" ]; then
        echo "==> creating $VENV"
        "$(find_python)" -m venv "$VENV"
        "$VENV/bin/python" -m pip install --quiet --upgrade pip
    fi
    spec="."
    [ -n "$extras" ] && spec=".[$extras]"
    stamp="$VENV/.nexus-installed${extras:+-$extras}"
    want="$(cat "$NEXUS_ROOT/pyproject.toml" | sha256sum | cut -d' ' -f1)"
    if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
        echo "==> installing Nexus $spec into $VENV (first run takes several minutes)"
        (cd "$NEXUS_ROOT" && "$VENV/bin/python" -m pip install --quiet --editable "$spec")
        echo "$want" >"$stamp"
    fi
}

apt_install_missing() {
    # Install Debian packages that are not present yet; only possible as root.
    local missing=()
    for pkg in "$@"; do
        dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    if [ "$(id -u)" -ne 0 ]; then
        echo "warning: missing Debian packages (run as root to install): ${missing[*]}" >&2
        return 0
    fi
    echo "==> apt-get install ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

# Libraries Qt's xcb platform, PortAudio and libsndfile need at run time.
RUNTIME_DEBS=(libportaudio2 libsndfile1 libegl1 libgl1 libfontconfig1 libdbus-1-3 libglib2.0-0
    libxkbcommon-x11-0 libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-randr0
    libxcb-render-util0 libxcb-shape0 libxcb-xinerama0 libxcb-xkb1 fonts-dejavu-core)
# The virtual screen and sound card the tests use; strace and iproute2 for the network-isolation test;
# tesseract-ocr reads the screens the frame-policy tests send.
TEST_DEBS=(xvfb pulseaudio pulseaudio-utils x11-utils strace iproute2 tesseract-ocr)
