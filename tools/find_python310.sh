#!/usr/bin/env bash
# Print the path of a Python 3.10 interpreter, or explain how to get one.
# lava-nc 0.10.0 and lava-dl 0.6.0 install on Python 3.10 only.
# Order: $PYTHON, python3.10 on PATH, pyenv's versions, common system paths.
set -u

is_310() { [ -x "$1" ] && "$1" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 10))' 2>/dev/null; }

if [ -n "${PYTHON:-}" ]; then
    if is_310 "$PYTHON" || is_310 "$(command -v "$PYTHON" 2>/dev/null)"; then
        command -v "$PYTHON"; exit 0
    fi
    echo "PYTHON=$PYTHON is not a Python 3.10 interpreter (lava-nc 0.10 needs exactly 3.10)." >&2
    exit 1
fi

candidates=()
p=$(command -v python3.10 2>/dev/null) && candidates+=("$p")
pyenv_root=${PYENV_ROOT:-$HOME/.pyenv}
for d in "$pyenv_root"/versions/3.10*/bin/python3.10; do candidates+=("$d"); done
candidates+=(/usr/bin/python3.10 /usr/local/bin/python3.10 /opt/homebrew/bin/python3.10)
p=$(command -v python3 2>/dev/null) && candidates+=("$p")

for c in "${candidates[@]}"; do
    # pyenv shims exist for versions that are not selected; resolve and test the real binary.
    if is_310 "$c"; then
        "$c" -c 'import sys; print(sys.executable)'; exit 0
    fi
done

cat >&2 <<'MSG'
No Python 3.10 interpreter found (lava-nc 0.10.0 and lava-dl 0.6.0 require exactly 3.10).
Looked at: $PYTHON, python3.10 on PATH, $PYENV_ROOT/versions/3.10*, /usr/bin, /usr/local/bin.
Get one with any of:
    pyenv install 3.10            # then re-run make
    sudo apt-get install python3.10 python3.10-venv
    conda create -n py310 python=3.10
or point at an existing one:  make test PYTHON=/path/to/python3.10
MSG
exit 1
