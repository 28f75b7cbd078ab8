# Shared set-up of scripts/demo and scripts/test; sourced, not run.
#
# journeykit_setup: go to the repository root and make sure .venv exists with
# JourneyKit installed (editable, with its test extras).  pip runs only when
# the venv is new, when pyproject.toml or setup.cfg changed since the last
# install (a stamp file in .venv holds their checksum), or when journeykit no
# longer imports; otherwise this takes a fraction of a second.

journeykit_setup() {
    local root python stamp want
    root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
    cd "$root" || return 1
    python=${PYTHON:-python3}
    if ! command -v "$python" >/dev/null 2>&1; then
        echo "error: $python not found: install Python 3.10 or newer (or set PYTHON=/path/to/python3)" >&2
        return 1
    fi
    if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 10))'; then
        echo "error: JourneyKit needs Python 3.10 or newer; $python is $("$python" --version 2>&1)" >&2
        return 1
    fi
    if [ ! -x .venv/bin/python ]; then
        echo "Creating .venv with $("$python" --version 2>&1) ..."
        if ! "$python" -m venv .venv; then
            rm -rf .venv
            echo "error: could not create .venv; on Debian or Ubuntu: apt-get install python3-venv" >&2
            return 1
        fi
    fi
    stamp=.venv/.journeykit-install-stamp
    want=$(cat pyproject.toml setup.cfg | sha256sum | cut -d' ' -f1)
    if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ] || ! .venv/bin/python -c "import journeykit" 2>/dev/null; then
        echo "Installing JourneyKit and its test tools into .venv (once; under a minute) ..."
        journeykit_pip install -q --disable-pip-version-check -e ".[test]" || return 1
        echo "$want" > "$stamp"
    fi
}

# journeykit_pip ARGS: .venv's pip, minus the harmless "WARNING: Location 'file://…' is ignored"
# lines that a pip configuration listing absent local indexes prints for every package.
journeykit_pip() {
    local out status=0
    out=$(.venv/bin/python -m pip "$@" 2>&1) || status=$?
    printf '%s\n' "$out" | grep -v "^WARNING: Location 'file://.*' is ignored: it is neither a file nor a directory\.$" | grep -v '^$' >&2 || true
    return "$status"
}
