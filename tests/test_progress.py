"""Progress bars: drawn before Lava is first imported they must not break Lava's import, and off a terminal
they print a line now and then, not one per update."""

import io
import subprocess
import sys

from razor_lava.progress import progress


def test_progress_bar_then_lava_import():
    # tqdm's first bar fixes the start method, which Lava then cannot set: progress() imports Lava first.
    code = ("from razor_lava.progress import progress\n"
            "for _ in progress(range(3), desc='x'): pass\n"
            "import lava.proc.io\n"
            "import multiprocessing as mp; assert mp.get_start_method() == 'fork'\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr


def test_a_log_gets_periodic_plain_lines():
    log = io.StringIO()  # not a terminal
    for _ in progress(range(200_000), desc="epoch 1", file=log):
        pass
    lines = log.getvalue().splitlines()
    assert 1 <= len(lines) <= 3, lines  # the first, the last (and one per 20 s, none in this short loop)
    assert "\r" not in log.getvalue() and "\x1b" not in log.getvalue()
    assert lines[-1].startswith("epoch 1") and "200000/200000" in lines[-1]


def test_a_terminal_gets_the_redrawn_bar():
    class Terminal(io.StringIO):
        def isatty(self):
            return True

    term = Terminal()
    for _ in progress(range(1000), desc="x", file=term, mininterval=0, miniters=1):
        pass
    assert term.getvalue().count("\r") > 10
