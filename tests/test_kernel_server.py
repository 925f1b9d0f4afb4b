"""Kernels forked from a warm server behave as launched kernels do: same outputs, same figures,
their own directory and environment; a timeout, a killed launcher or a closed server leaves no
kernel behind."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from analysis import kernel_server
from analysis.kernel_server import KernelServer, notebook_imports
from analysis.paths import PROJECT_ROOT
from analysis.runner import NotebookFailed, execute_notebook, figure_records

pytestmark = pytest.mark.skipif(not kernel_server.available(), reason="forking kernels needs Linux")


def notebook_with(tmp_path, *sources: str, name: str = "99_probe.ipynb"):
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])
    notebook.cells[0].metadata["tags"] = ["parameters"]
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path = tmp_path / name
    nbformat.write(notebook, str(path))
    return path


def outputs(executed: Path) -> list[str]:
    """Every output of an executed notebook, without what differs between any two runs
    (object addresses, the random ids of styled tables and widgets)."""
    found = []
    for cell in nbformat.read(str(executed), as_version=4).cells:
        for output in cell.get("outputs", []):
            text = json.dumps({k: v for k, v in output.items() if k != "execution_count"}, sort_keys=True)
            text = re.sub(r"at 0x[0-9a-f]+", "at 0x", text)
            text = re.sub(r"T_[0-9a-f]{5}", "T_", text)
            found.append(re.sub(r'"model_id": "[0-9a-f]+"', '"model_id": ""', text))
    return found


@pytest.fixture(scope="module")
def server():
    with KernelServer(["pandas"]) as running:
        yield running


def test_the_server_preloads_what_the_notebooks_import_at_their_top_level(tmp_path):
    path = notebook_with(tmp_path, "x = 1", "import json, os.path\nfrom analysis.kwic import kwic",
                         "from . import here\nif x:\n    import csv", "%matplotlib inline\nimport re",
                         "from analysis.kwic import kwic\nimport json")
    # relative, nested and IPython-syntax imports are the kernel's business; each module once, in order
    assert notebook_imports([path]) == ["json", "os.path", "analysis.kwic"]


def test_a_forked_kernel_runs_where_and_with_what_a_launched_kernel_would(tmp_path, server, monkeypatch):
    monkeypatch.setenv("ANALYSIS_PROBE", "from the runner")
    probe = notebook_with(
        tmp_path, "x = 1",
        "import os, sys\nprint(os.getcwd())\nprint(os.environ.get('ANALYSIS_PROBE'))\nprint(sys.path[:2])\n"
        "print(__name__, type(get_ipython()).__name__, sys.argv[0].endswith('ipykernel_launcher.py'))",
        "import matplotlib\nprint(matplotlib.get_backend())",
        "import matplotlib.pyplot as plt\nplt.plot([1, 2])\nplt.show()")
    (tmp_path / "cwd").mkdir()
    launched = execute_notebook(probe, {}, tmp_path / "launched", timeout=60, kernel_cwd=tmp_path / "cwd")
    forked = execute_notebook(probe, {}, tmp_path / "forked", timeout=60, kernel_cwd=tmp_path / "cwd", kernels=server)
    assert outputs(forked) == outputs(launched)
    printed = "".join(o.get("text", "") for c in nbformat.read(str(forked), as_version=4).cells for o in c.outputs)
    assert str(tmp_path / "cwd") in printed and "from the runner" in printed
    assert "backend_inline" in printed  # IPython's matplotlib integration is the kernel's own
    assert any("image/png" in o.get("data", {}) for o in nbformat.read(str(forked), as_version=4).cells[3].outputs)


def test_a_failing_or_hanging_cell_in_a_forked_kernel_is_named_as_in_a_launched_one(tmp_path, server):
    failing = notebook_with(tmp_path, "x = 1", "raise ValueError('bad guest')")
    with pytest.raises(NotebookFailed, match=r"99_probe.ipynb: failed in cell .*ValueError: bad guest"):
        execute_notebook(failing, {}, tmp_path / "out", timeout=60, kernel_cwd=tmp_path, kernels=server)
    hanging = notebook_with(tmp_path, "x = 1", "import time\ntime.sleep(30)", name="98_probe.ipynb")
    started = time.monotonic()
    with pytest.raises(NotebookFailed, match=r"98_probe.ipynb: failed in cell 2 \(import time\): timed out after 2 s"):
        execute_notebook(hanging, {}, tmp_path / "out", timeout=2, kernel_cwd=tmp_path, kernels=server)
    assert time.monotonic() - started < 25  # the kernel was stopped, not waited for


def test_kernels_asked_for_together_before_the_server_is_ready_all_start(tmp_path):
    from concurrent import futures

    probes = [notebook_with(tmp_path, "x = 1", f"print({n} * 2)", name=f"9{n}_probe.ipynb") for n in range(3)]
    with KernelServer(["pandas"]) as fresh, futures.ThreadPoolExecutor(3) as pool:
        executed = list(pool.map(lambda nb: execute_notebook(nb, {}, tmp_path / "out", timeout=60, kernel_cwd=tmp_path,
                                                             kernels=fresh), probes))
    assert [nbformat.read(str(e), as_version=4).cells[1].outputs[0]["text"] for e in executed] == ["0\n", "2\n", "4\n"]


def test_a_server_that_died_before_it_was_ready_leaves_kernels_launched_as_usual(tmp_path, capsys):
    probe = notebook_with(tmp_path, "x = 1", "print(6 * 7)")
    with KernelServer([]) as dead:
        dead._process.kill()
        dead._process.wait()
        executed = execute_notebook(probe, {}, tmp_path / "out", timeout=60, kernel_cwd=tmp_path, kernels=dead)
    assert nbformat.read(str(executed), as_version=4).cells[1].outputs[0]["text"] == "42\n"
    assert "warning: kernel server exited with status -9: each notebook's kernel is launched on its own" \
        in capsys.readouterr().err


def test_a_server_no_kernel_was_asked_of_is_stopped_at_once_not_after_its_imports():
    # a report whose build fails closes the server while it is still importing
    starting = KernelServer(["pandas", "matplotlib.pyplot"])
    starting.close()
    assert starting._process.returncode == -signal.SIGKILL
    assert not Path(starting.address).parent.exists()


def children_of(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(p) for p in (task / "children").read_text().split()]
    return found


def alive(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except FileNotFoundError:
        return False
    return status != "Z"


def start_kernel(server: KernelServer, tmp_path: Path) -> tuple[subprocess.Popen, int]:
    """A launcher asking ``server`` for a kernel, outside jupyter_client; the kernel's pid."""
    from jupyter_client.connect import write_connection_file

    connection, _ = write_connection_file(str(tmp_path / "kernel.json"))
    server.wait_ready()
    before = set(children_of(server._process.pid))
    launcher = subprocess.Popen([sys.executable, "-m", "analysis.kernel_server", "connect", server.address,
                                 "-f", connection], cwd=tmp_path, start_new_session=True,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(200):
        new = set(children_of(server._process.pid)) - before
        if new:
            return launcher, new.pop()
        time.sleep(0.05)
    raise AssertionError("no kernel forked")


def wait_gone(pid: int, seconds: float = 10) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not alive(pid):
            return True
        time.sleep(0.05)
    return False


def test_a_killed_launcher_takes_its_kernel_with_it(tmp_path, server):
    launcher, kernel = start_kernel(server, tmp_path)
    assert alive(kernel)
    os.killpg(launcher.pid, signal.SIGKILL)  # as jupyter_client kills a kernel that will not stop
    launcher.wait()
    assert wait_gone(kernel)


def test_an_interrupt_sent_to_the_launcher_reaches_the_kernel_and_its_exit_status_comes_back(tmp_path, server):
    launcher, kernel = start_kernel(server, tmp_path)
    time.sleep(1)  # let the kernel set up its own handlers
    os.killpg(launcher.pid, signal.SIGTERM)
    assert launcher.wait(timeout=10) == 128 + signal.SIGTERM  # killed by the forwarded signal
    assert wait_gone(kernel)


def test_closing_the_server_stops_its_kernels_and_removes_its_socket(tmp_path):
    running = KernelServer([])
    launcher, kernel = start_kernel(running, tmp_path)
    running.close()
    assert wait_gone(kernel)
    assert launcher.wait(timeout=10) != 0
    assert not Path(running.address).exists() and not Path(running.address).parent.exists()


@pytest.fixture(scope="module")
def built_root(tmp_path_factory):
    from analysis.pipeline import BuildConfig, build

    root = tmp_path_factory.mktemp("root")
    build(BuildConfig(root=root), quiet=True)
    return root


@pytest.mark.slow
def test_a_project_notebook_gives_the_same_outputs_and_figure_bytes_in_either_kernel(tmp_path, built_root):
    notebook = PROJECT_ROOT / "notebooks" / "05_word_clouds.ipynb"
    results = {}
    with KernelServer(notebook_imports([notebook])) as warm:
        for how, kernels in (("launched", None), ("forked", warm)):
            figures = tmp_path / how / "figures"
            figures.mkdir(parents=True)
            executed = execute_notebook(notebook, {"root": str(built_root), "save_to": str(figures)},
                                        tmp_path / how, timeout=300, kernels=kernels)
            files = {p.name: p.read_bytes() for p in sorted(figures.iterdir())}
            results[how] = (outputs(executed), files, figure_records(executed))
    assert results["forked"][1] and results["forked"][1] == results["launched"][1]
    assert results["forked"][0] == results["launched"][0]
    assert results["forked"][2] == results["launched"][2]
