"""The walkthrough notebooks in notebooks/: stored clean, and they execute without errors.

Each notebook runs in a fresh Jupyter kernel started with *this* interpreter
(``sys.executable``, i.e. the venv's python), whatever kernelspecs are
registered on the machine, with the notebooks folder as its working directory
(as when a user opens it in Jupyter). Everything the notebooks write goes to
a temporary folder passed in ``RAZOR_NB_OUT``; the folder is shared by the
notebooks of one session and they run in name order, so notebook 02 deploys
notebook 01's network instead of training its own (run alone, it trains a
tiny one). Together they take about 2.5 minutes on 2 CPU cores (03, the ablation, half of it).
``RAZOR_NB_CELL_TIMEOUT`` (seconds, default 1200) bounds every cell.

The kernels run torch with one thread (``OMP_NUM_THREADS=1`` unless it is
set already): on a 2-core machine shared with other jobs, a 2-thread torch
spends most of its time waiting for its second thread (measured with other
training jobs on the cores: 13.4 min for the three notebooks with 2 threads,
3.3 min with 1).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NB_DIR = ROOT / "notebooks"
NOTEBOOKS = sorted(NB_DIR.glob("*.ipynb"))
KERNEL = "python3"


def test_there_are_notebooks():
    assert len(NOTEBOOKS) >= 3, f"expected the walkthrough notebooks in {NB_DIR}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_is_stored_clean(path):
    """Committed without outputs, with the python3 kernel and a Settings cell first among the code cells."""
    nbformat = pytest.importorskip("nbformat")
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    assert nb.metadata.get("kernelspec", {}).get("name") == KERNEL
    code = [c for c in nb.cells if c.cell_type == "code"]
    for i, cell in enumerate(code):
        assert cell.outputs == [], f"{path.name}: code cell {i} has stored outputs; clear them before committing"
        assert cell.execution_count is None, f"{path.name}: code cell {i} has an execution count"
    assert code and "Settings" in code[0].source, f"{path.name}: the first code cell should be the Settings cell"


def _venv_kernel_manager_class():
    """An AsyncKernelManager whose only kernel, python3, is ``sys.executable -m ipykernel_launcher``."""
    from jupyter_client.kernelspec import KernelSpec, KernelSpecManager, NoSuchKernel
    from jupyter_client.manager import AsyncKernelManager
    from traitlets import default

    class VenvKernelSpecs(KernelSpecManager):
        def find_kernel_specs(self):
            return {KERNEL: ""}

        def get_kernel_spec(self, kernel_name):
            if kernel_name != KERNEL:
                raise NoSuchKernel(kernel_name)
            return KernelSpec(argv=[sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                              display_name=f"Python 3 ({sys.prefix})", language="python", name=KERNEL)

    class VenvKernelManager(AsyncKernelManager):
        @default("kernel_spec_manager")
        def _default_kernel_spec_manager(self):
            return VenvKernelSpecs(data_dir=self.data_dir)

    return VenvKernelManager


@pytest.fixture(scope="module")
def nb_out(tmp_path_factory):
    return tmp_path_factory.mktemp("notebooks_out")


@pytest.mark.slow
@pytest.mark.xdist_group("notebooks")  # one process, in name order: 02 deploys 01's network
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_executes(path, nb_out, monkeypatch):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")

    nb = nbformat.read(path, as_version=4)
    # First, in the kernel: prove it is this interpreter's environment (the venv), not another Python.
    nb.cells.insert(0, nbformat.v4.new_code_cell(
        f"import sys\nassert sys.prefix == {sys.prefix!r}, f'kernel runs {{sys.executable}}, not the venv'"))
    monkeypatch.setenv("RAZOR_NB_OUT", str(nb_out))
    monkeypatch.setenv("OMP_NUM_THREADS", os.environ.get("OMP_NUM_THREADS", "1"))
    client = nbclient.NotebookClient(
        nb, kernel_name=KERNEL, kernel_manager_class=_venv_kernel_manager_class(),
        timeout=int(os.environ.get("RAZOR_NB_CELL_TIMEOUT", "1200")), startup_timeout=120,
        resources={"metadata": {"path": str(NB_DIR)}})
    try:
        client.execute()
    finally:
        # The executed copy (outputs and tracebacks) stays next to the outputs, for debugging.
        nbformat.write(nb, nb_out / f"{path.stem}.executed.ipynb")
