"""A progress bar drawn before Lava is first imported must not break Lava's import."""

import subprocess
import sys


def test_progress_bar_then_lava_import():
    code = ("from razor_lava.progress import progress\n"
            "for _ in progress(range(3), desc='x'): pass\n"
            "import lava.proc.io\n"
            "import multiprocessing as mp; assert mp.get_start_method() == 'fork'\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr


def test_plain_tqdm_first_does_break_lava_import():
    # The reason progress() exists: if this ever starts passing, the workaround can go.
    code = "from tqdm import tqdm\nfor _ in tqdm(range(3)): pass\nimport lava.proc.io\n"
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode != 0 and "context has already been set" in r.stderr
