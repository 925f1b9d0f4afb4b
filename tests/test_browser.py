"""Notebooks 02 and 07 as an analyst sees them: JupyterLab in a real (headless) Chromium.

Starts JupyterLab on loopback with a token over a temporary folder holding copies of the two
notebooks (their ``root`` parameter set to a freshly built temporary root: nothing is written
into the repository), runs all cells from the Run menu, and checks what is on screen: no
error output, widgets drawn as widgets (not a ``VBox(children=…`` repr), one chart image per
``study.show`` call, Chinese text present and a CJK font installed. Screenshots go to pytest's
tmp folder and to ``/tmp/browser-shots/``.

About 30 s. Needs Debian's ``chromium`` (never a downloaded browser) and the ``playwright`` package
(the test extra); skipped with the reason when either is absent.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

import nbformat
import pytest

from analysis.paths import NOTEBOOKS_DIR
from analysis.pipeline import BuildConfig, build


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
SRC = Path(__file__).resolve().parents[1] / "src"  # the kernel imports the code under test
NOTEBOOKS = ["02_themes_across_guests.ipynb", "07_explorer.ipynb"]
SHOTS = Path("/tmp/browser-shots")
CJK = re.compile(r"[\u4e00-\u9fff]")
ERROR_OUTPUT = '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]'
# JupyterLab settings for the test's own settings folder: every cell in the DOM (no windowing, so
# off-screen outputs can be counted), no news or update pop-ups over the notebook
SETTINGS = {
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none",
                                                                    "autoStartDefaultKernel": True},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false",
                                                                       "checkForUpdates": False},
}


def _requirements():
    if CHROMIUM is None:
        pytest.skip("chromium is not installed (Debian: apt-get install chromium fonts-noto-cjk)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        pytest.skip("playwright is not installed (pip install -e '.[test]')")
    if shutil.which("fc-list") is None:
        pytest.skip("fontconfig's fc-list is not installed")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _copy_notebook(name: str, folder: Path, root: Path) -> Path:
    """The source notebook with ``root = "…"`` set to the built root in its parameters cell."""
    notebook = nbformat.read(str(NOTEBOOKS_DIR / name), as_version=4)
    cell = next(c for c in notebook.cells if "parameters" in c.metadata.get("tags", []))
    cell.source, count = re.subn(r'^root = ".*?"', f"root = {json.dumps(str(root))}", cell.source, flags=re.M)
    assert count == 1, f"{name}: no `root = ` line in the parameters cell"
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
    target = folder / name
    nbformat.write(notebook, str(target))
    return target


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """(base URL, token, shots folder) of a JupyterLab serving copies of notebooks 02 and 07."""
    _requirements()
    base = tmp_path_factory.mktemp("lab")
    root = base / "root"
    build(BuildConfig(root=root), quiet=True)
    folder = base / "notebooks"
    folder.mkdir()
    for name in NOTEBOOKS:
        _copy_notebook(name, folder, root)
    settings = base / "settings"
    for name, values in SETTINGS.items():
        path = settings / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values), encoding="utf-8")
    port, token = _free_port(), uuid.uuid4().hex
    env = {**os.environ, "JUPYTERLAB_SETTINGS_DIR": str(settings), "JUPYTERLAB_WORKSPACES_DIR": str(base / "ws"),
           "JUPYTER_RUNTIME_DIR": str(base / "runtime"), "PYTHONPATH": os.pathsep.join(
               p for p in [str(SRC)] + os.environ.get("PYTHONPATH", "").split(os.pathsep) if p)}
    log = (base / "lab.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}",
         "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={folder}",
         "--ServerApp.open_browser=False"] + (["--allow-root"] if os.geteuid() == 0 else []),
        stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=folder)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=2)
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"JupyterLab did not start:\n{(base / 'lab.log').read_text()[-3000:]}")
                time.sleep(0.5)
        shots = tmp_path_factory.mktemp("shots")
        SHOTS.mkdir(parents=True, exist_ok=True)
        yield url, token, shots
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


@pytest.fixture(scope="module")
def browser(lab):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


def _shot(page, shots: Path, name: str) -> None:
    for folder in (shots, SHOTS):
        page.screenshot(path=str(folder / f"{name}.png"))


def _run_all(page, url: str, token: str, name: str, timeout_s: int = int(os.environ.get('BROWSER_TEST_TIMEOUT', 240))) -> None:
    """Open ``name``, Run › Run All Cells, and wait until every code cell has run and the kernel is idle."""
    page.goto(f"{url}/lab/workspaces/{Path(name).stem}/tree/{name}?token={token}")  # its own workspace: one tab
    page.wait_for_selector(".jp-Notebook .jp-CodeCell", timeout=60_000)
    page.get_by_text(re.compile(r"\| Idle$")).first.wait_for(timeout=60_000)  # the status bar: kernel started
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click()
    page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$")).click()
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        prompts = page.locator(".jp-CodeCell .jp-InputArea-prompt").all_inner_texts()
        idle = page.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']").count() > 0
        if prompts and all(re.fullmatch(r"\[\d+\]:", p.strip()) for p in prompts) and idle:
            return
        page.wait_for_timeout(500)
    page.screenshot(path=str(SHOTS / f"{Path(name).stem}_stuck.png"))
    pytest.fail(f"{name}: cells still running after {timeout_s} s: {prompts}")


def _no_errors(page, name: str) -> None:
    errors = [t for t in page.locator(ERROR_OUTPUT).all_inner_texts() if "Error" in t or "Traceback" in t]
    errors += [t for t in page.locator(".jp-OutputArea-output").all_inner_texts() if "Traceback" in t]
    assert not errors, f"{name}: error output:\n{errors[0][:2000]}"


def test_a_cjk_font_is_installed():
    _requirements()
    fonts = subprocess.run(["fc-list", ":lang=zh"], capture_output=True, text=True, check=True).stdout
    assert fonts.strip(), "no font covers Chinese: apt-get install fonts-noto-cjk"


def test_notebook_02_shows_every_chart_and_chinese_text(lab, browser):
    url, token, shots = lab
    name = NOTEBOOKS[0]
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    _run_all(page, url, token, name)
    _no_errors(page, name)
    charts = sum(c.source.count("study.show(") for c in nbformat.read(str(NOTEBOOKS_DIR / name), as_version=4).cells)
    images = page.locator(".jp-OutputArea-output img")
    assert images.count() >= charts >= 1
    for i in range(images.count()):  # drawn, not a broken image
        assert images.nth(i).evaluate("img => img.complete && img.naturalWidth > 100"), f"{name}: image {i} is empty"
    texts = " ".join(page.locator(".jp-OutputArea-output").all_inner_texts())
    assert CJK.search(texts), f"{name}: no Chinese text in the outputs"
    assert "'source_table'" not in texts, f"{name}: a cell prints a figure's manifest record"
    evidence = page.locator(".jp-OutputArea-output table.kwic tbody tr")
    heights = evidence.evaluate_all("rows => rows.map(r => r.getBoundingClientRect().height)")
    assert heights and max(heights) < 2 * min(heights), f"{name}: evidence lines wrap"
    page.locator(".jp-Notebook .jp-Cell").first.scroll_into_view_if_needed()
    _shot(page, shots, "02_top")
    for i, stem in [(0, "02_heatmap"), (2, "02_balance")]:
        images.nth(i).scroll_into_view_if_needed()
        _shot(page, shots, stem)
    page.locator(".jp-OutputArea-output table.kwic").last.scroll_into_view_if_needed()
    _shot(page, shots, "02_evidence")
    page.close()


def test_notebook_07_draws_a_working_explorer(lab, browser):
    url, token, shots = lab
    name = NOTEBOOKS[1]
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    _run_all(page, url, token, name)
    _no_errors(page, name)
    widget = page.locator(".jupyter-widgets.widget-vbox").first
    widget.wait_for(timeout=30_000)
    assert page.locator(".widget-dropdown").count() >= 1 and page.locator(".widget-text input").count() >= 1
    assert "VBox(children" not in page.locator(".jp-Notebook").inner_text()
    view = widget.locator(".widget-output")
    assert "theme GLOBAL" in view.inner_text() and view.locator("table.kwic tr").count() > 1
    assert CJK.search(view.inner_text())
    widget.scroll_into_view_if_needed()
    _shot(page, shots, "07_widget")

    # a term typed while a theme is selected narrows the theme's passages
    term = widget.locator(".widget-text input")
    term.fill("客户")
    term.press("Enter")
    page.wait_for_function("document.querySelector('.widget-output').innerText.includes('term “客户”')")
    assert "theme GLOBAL AND term “客户”" in view.inner_text()
    matches = view.locator("table.kwic td:nth-child(5)").all_inner_texts()
    assert matches and set(matches) == {"客户"}
    # the context cells do not wrap: every concordance row is one line high
    heights = view.locator("table.kwic tbody tr").evaluate_all("rows => rows.map(r => r.getBoundingClientRect().height)")
    assert max(heights) < 2 * min(heights)
    _shot(page, shots, "07_theme_and_term")

    # no guest selected: a message, not everyone
    guests = widget.locator(".widget-select-multiple select")
    guests.select_option([])
    page.wait_for_function("document.querySelector('.widget-output').innerText.includes('no guest selected')")
    _shot(page, shots, "07_no_guest")

    page.locator(".jp-OutputArea-output table.kwic").last.scroll_into_view_if_needed()
    _shot(page, shots, "07_summary")
    page.close()
