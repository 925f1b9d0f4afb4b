"""Notebook kernels forked from one process that has already imported what they import.

Each notebook of a report runs in a kernel of its own, and each kernel used to spend a second
and a half of CPU starting IPython's kernel and importing pandas, matplotlib and this package
before its first cell ran: seven kernels, ten seconds of a two-core machine, for the same
imports every time. A report now starts one server process that imports them once; each
kernel is a fork of it (the technique of :mod:`multiprocessing`'s forkserver). A forked kernel
is a new process, as a launched one is: nothing one notebook does reaches another.

How a kernel comes to be:

* ``jupyter_client`` starts the command :class:`ForkedKernelManager` gives it,
  ``python -m analysis.kernel_server connect ADDRESS -f CONNECTION_FILE …``: a small launcher
  that imports nothing heavy;
* the launcher sends the server its arguments, working directory, environment and standard
  streams over a Unix socket, receives the kernel's process id, passes SIGINT and SIGTERM on
  to the kernel, and exits with the kernel's exit status;
* the server forks; the child takes the launcher's streams, directory and environment and
  starts ``ipykernel`` as ``python -m ipykernel_launcher`` would;
* when the launcher dies (``jupyter_client`` kills a kernel that does not shut down by
  killing the launcher's process group), the server kills its kernel; when the runner dies or
  closes the server's stdin, the server kills every kernel and exits.

The server is single-threaded (a fork in a threaded process may copy a lock held by another
thread) and notices a kernel's exit through a pidfd, so it needs Linux; elsewhere
:func:`available` is false and the runner launches kernels the usual way.

What the server imports (:func:`notebook_imports`) is what the notebooks import in their cells,
read from their code; IPython's matplotlib integration and ipywidgets are left to the kernel,
because they set themselves up at import only when a kernel is running.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import struct
import sys
import threading

#: a process id or an exit status on the socket
_NUMBER = struct.Struct("!q")
_LENGTH = struct.Struct("!I")


def available() -> bool:
    """Whether kernels can be forked here: Linux, with pidfds (a container may forbid them)."""
    if not (sys.platform.startswith("linux") and hasattr(os, "pidfd_open") and hasattr(socket, "send_fds")):
        return False
    try:
        os.close(os.pidfd_open(os.getpid()))
    except OSError:
        return False
    return True


# --------------------------------------------------------------------------- the launcher


def _read_exactly(sock: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            raise EOFError
        data += chunk
    return data


def connect(address: str, kernel_args: list[str]) -> int:
    """Be a kernel launcher: have the server at ``address`` fork a kernel with ``kernel_args``
    (``-f CONNECTION_FILE …``, as ``ipykernel_launcher`` takes them); return its exit status."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.connect(address)
    except OSError as error:
        print(f"kernel server {address}: {error.strerror}", file=sys.stderr)
        return 1
    request = json.dumps({"argv": kernel_args, "cwd": os.getcwd(), "env": dict(os.environ)}).encode("utf-8")
    socket.send_fds(sock, [_LENGTH.pack(len(request))], [0, 1, 2])
    sock.sendall(request)
    try:
        pid = _NUMBER.unpack(_read_exactly(sock, _NUMBER.size))[0]
    except EOFError:
        print(f"kernel server {address}: closed before forking a kernel", file=sys.stderr)
        return 1

    def forward(signum, frame):
        os.kill(pid, signum)

    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, forward)
    try:
        status = _NUMBER.unpack(_read_exactly(sock, _NUMBER.size))[0]
    except EOFError:
        print(f"kernel server {address}: closed while the kernel ran", file=sys.stderr)
        return 1
    # a kernel killed by a signal: the status a shell gives such a process
    return 128 - status if status < 0 else status


# --------------------------------------------------------------------------- the server


def notebook_imports(notebooks) -> list[str]:
    """The modules the code cells of ``notebooks`` import at their top level, in order, once
    each: what a kernel of theirs would import first."""
    import ast

    import nbformat

    modules = []
    for path in notebooks:
        for cell in nbformat.read(str(path), as_version=4).cells:
            if cell.cell_type != "code":
                continue
            try:
                tree = ast.parse(cell.source)
            except SyntaxError:
                continue  # IPython syntax (magics): the kernel reads it, not this
            for node in tree.body:
                if isinstance(node, ast.Import):
                    modules += [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    modules.append(node.module)
    return list(dict.fromkeys(modules))


#: ``sys.argv[0]`` of a launched kernel: the path of ``ipykernel_launcher.py``
_LAUNCHER = "ipykernel_launcher"


def _preload(modules: list[str]) -> None:
    import importlib
    import importlib.util

    global _LAUNCHER
    _LAUNCHER = importlib.util.find_spec("ipykernel_launcher").origin

    # What ipykernel sets before anything imports matplotlib, so that pyplot, imported here,
    # resolves the backend a launched kernel would (resolved lazily, at the first figure).
    os.environ.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    import ipykernel.kernelapp  # noqa: F401  (the kernel itself: IPython, zmq, tornado)

    for name in modules:
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001 — the kernel imports it again and reports the error in its cell
            pass


def _become_kernel(request: dict, fds: list[int]) -> None:
    """In a forked child: take the launcher's streams, directory and environment, then run
    ipykernel as ``python -m ipykernel_launcher ARGS`` would. Never returns."""
    code = 1
    try:
        os.setsid()  # a session of its own, as jupyter_client gives a launched kernel
        _die_with_parent()
        for target, fd in enumerate(fds):
            os.dup2(fd, target)
        os.closerange(3, _max_fd())  # the server's sockets and pidfds, the received copies
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        for signum in (signal.SIGTERM, signal.SIGCHLD, signal.SIGPIPE):
            signal.signal(signum, signal.SIG_DFL if signum != signal.SIGPIPE else signal.SIG_IGN)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        sys.argv = [_LAUNCHER, *request["argv"]]
        from ipykernel import kernelapp

        try:
            kernelapp.launch_new_instance()
            code = 0
        except SystemExit as stop:
            code = stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 1)
        import atexit

        atexit._run_exitfuncs()  # what a normal interpreter exit runs (IPython saves its history)
    except BaseException:  # noqa: BLE001 — the launcher's stderr is this process's stderr now
        import traceback

        traceback.print_exc()
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


def _die_with_parent() -> None:
    # a kernel whose server was killed outright (SIGKILL, no cleanup) goes with it
    try:
        import ctypes

        PR_SET_PDEATHSIG = 1
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        pass


def _max_fd() -> int:
    try:
        return os.sysconf("SC_OPEN_MAX")
    except (ValueError, OSError):
        return 4096


def serve(address: str, modules: list[str]) -> None:
    """Import ``modules``, then fork a kernel for each launcher that connects to ``address``,
    until stdin closes. Prints ``ready`` on stdout once it listens."""
    import selectors

    # The launch directory (sys.path[0] under ``python -m``) is dropped, as ipykernel_launcher
    # drops it; the kernel's shell puts its own working directory first.
    if sys.path and sys.path[0] in ("", os.getcwd()):
        del sys.path[0]
    _preload(modules)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the runner, which then closes stdin
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(address)
    listener.listen(16)
    selector = selectors.DefaultSelector()
    selector.register(listener, selectors.EVENT_READ, "accept")
    selector.register(sys.stdin, selectors.EVENT_READ, "stdin")
    kernels: dict[int, tuple[int, socket.socket]] = {}  # pidfd → (pid, launcher connection)
    print("ready", flush=True)

    def finish(pidfd: int, kill: bool) -> None:
        pid, conn = kernels.pop(pidfd)
        selector.unregister(conn)
        selector.unregister(pidfd)
        if kill:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        _, status = os.waitpid(pid, 0)
        os.close(pidfd)
        try:
            conn.sendall(_NUMBER.pack(os.waitstatus_to_exitcode(status)))
        except OSError:
            pass  # the launcher is gone
        conn.close()

    try:
        while True:
            for key, _ in selector.select():
                if key.data == "stdin":
                    if not os.read(sys.stdin.fileno(), 4096):
                        return
                elif key.data == "accept":
                    conn, _ = listener.accept()
                    pidfd = _fork_kernel(conn)
                    if pidfd is None:
                        conn.close()
                        continue
                    kernels[pidfd[0]] = (pidfd[1], conn)
                    selector.register(conn, selectors.EVENT_READ, ("launcher", pidfd[0]))
                    selector.register(pidfd[0], selectors.EVENT_READ, ("exited", pidfd[0]))
                else:
                    what, pidfd = key.data
                    if pidfd in kernels:
                        # a launcher says nothing after its request: readable means it closed
                        finish(pidfd, kill=(what == "launcher"))
    finally:
        for pidfd in list(kernels):
            finish(pidfd, kill=True)
        listener.close()
        try:
            os.unlink(address)
        except OSError:
            pass


def _fork_kernel(conn: socket.socket) -> tuple[int, int] | None:
    """Read one launcher's request from ``conn``, fork its kernel; return (pidfd, pid)."""
    try:
        header, fds, _, _ = socket.recv_fds(conn, _LENGTH.size, 3)
        if len(header) < _LENGTH.size or len(fds) != 3:
            for fd in fds:
                os.close(fd)
            return None
        request = json.loads(_read_exactly(conn, _LENGTH.unpack(header)[0]).decode("utf-8"))
    except (OSError, EOFError, ValueError):
        return None
    pid = os.fork()
    if pid == 0:
        _become_kernel(request, fds)
    for fd in fds:
        os.close(fd)
    conn.sendall(_NUMBER.pack(pid))
    return os.pidfd_open(pid), pid


# --------------------------------------------------------------------------- the runner's side


class KernelServer:
    """The server, started by the runner for one report (a context manager): while it runs,
    :attr:`manager_class` is the ``kernel_manager_class`` that makes papermill fork kernels
    from it. Starting returns at once; the server imports while the build runs, and the first
    kernel waits for it."""

    def __init__(self, modules: list[str]):
        import subprocess
        import tempfile

        self._folder = tempfile.mkdtemp(prefix="analysis-kernels-")  # private (0700): the socket is safe in it
        self.address = os.path.join(self._folder, "server.sock")
        self._process = subprocess.Popen(
            [sys.executable, "-m", "analysis.kernel_server", "serve", self.address, *modules],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, start_new_session=True)
        self._ready: bool | None = None  # not yet known
        self._ready_lock = threading.Lock()  # the runner's threads start kernels together
        self.manager_class = _manager_class(self)

    def wait_ready(self, timeout: float = 120) -> bool:
        """Block until the server listens (its first line, ``ready``). False, with a one-line
        warning, when it died or did not get ready in ``timeout`` s: kernels are then launched
        as usual."""
        import selectors

        with self._ready_lock:
            if self._ready is None:
                with selectors.DefaultSelector() as selector:
                    selector.register(self._process.stdout, selectors.EVENT_READ)
                    ready = bool(selector.select(timeout)) and _read_until_ready(self._process.stdout)
                if not ready:
                    status = self._process.poll()
                    why = f"exited with status {status}" if status is not None else f"not ready after {timeout:.0f} s"
                    print(f"warning: kernel server {why}: each notebook's kernel is launched on its own",
                          file=sys.stderr, flush=True)
                self._ready = ready
            return self._ready

    def close(self) -> None:
        if not self._ready:
            # No kernel was asked for (a report whose build failed, say): nothing to wait for,
            # not even the imports
            self._process.kill()
        if self._process.stdin and not self._process.stdin.closed:
            self._process.stdin.close()  # the server kills any kernel left, then exits
        try:
            self._process.wait(timeout=10)
        except Exception:  # noqa: BLE001
            self._process.kill()
            self._process.wait()
        self._process.stdout.close()
        import shutil

        shutil.rmtree(self._folder, ignore_errors=True)

    def __enter__(self) -> "KernelServer":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _read_until_ready(stream) -> bool:
    # what a preloaded module prints on import comes before ``ready``; end of file: it died
    for line in iter(stream.readline, b""):
        if line.strip() == b"ready":
            return True
    return False


def _manager_class(server: KernelServer):
    from jupyter_client import AsyncKernelManager

    class ForkedKernelManager(AsyncKernelManager):
        """A kernel manager whose kernels the server forks: the kernel spec's
        ``python -m ipykernel_launcher ARGS`` becomes ``python -m analysis.kernel_server
        connect ADDRESS ARGS``. Another kernel spec (another interpreter) is launched as it is."""

        def format_kernel_cmd(self, extra_arguments=None):
            cmd = super().format_kernel_cmd(extra_arguments)
            if len(cmd) < 3 or cmd[0] != sys.executable or cmd[1:3] != ["-m", "ipykernel_launcher"]:
                return cmd
            if not server.wait_ready():
                return cmd
            return [sys.executable, "-m", "analysis.kernel_server", "connect", server.address, *cmd[3:]]

    return ForkedKernelManager


def main(argv: list[str]) -> int:
    if len(argv) >= 2 and argv[0] == "connect":
        return connect(argv[1], argv[2:])
    if len(argv) >= 2 and argv[0] == "serve":
        serve(argv[1], argv[2:])
        return 0
    print("usage: python -m analysis.kernel_server connect ADDRESS KERNEL_ARGS… | serve ADDRESS MODULE…",
          file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
