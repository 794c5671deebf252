"""A real terminal for the terminal benchmark: one tmux pane, read back with capture-pane.

Every figure is "from a send-keys (or the launch) to the first capture-pane that shows the
expected screen", so its resolution is one capture: the benchmark measures that cost and
prints it beside the figures. The commands go through one tmux control-mode client (`tmux
-C`, a pipe) rather than a tmux process per capture: on a busy two-core machine a process
per capture costs about 10 ms and takes CPU from the app being timed; a control-mode round
trip is a fraction of a millisecond. The control client sets no size (tmux ignores its size
until it does) and asks for no pane output, so the window stays as created.
"""

from __future__ import annotations

import os
import shlex
import signal
import statistics
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path

POLL = 0.005  # seconds between captures: a tight loop, not fixed sleeps
DEADLINE = 120.0  # seconds for anything to show up before the run is abandoned
IDLE = "exec sleep 2147483647"  # what the pane runs between measurements
# Variables that would make the app under test run another Python's packages, or paint
# differently from one shell to the next (every app gets TERM from the benchmark).
LEAKY_ENV = (
    *("TMUX", "TMUX_PANE", "PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTHONSTARTUP"),
    *("NO_COLOR", "FORCE_COLOR", "COLORTERM", "COLUMNS", "LINES", "ESCDELAY"),
)

Condition = Callable[[str], bool]


class ScreenTimeout(RuntimeError):
    """What was awaited never showed; the message holds the last screen."""


class Pane:
    """One private tmux server (its own socket, no user config) with one window of `size`.

    The window outlives the apps: each measurement replaces the pane's command
    (respawn-pane), so the tmux server's own start-up is in no figure.
    """

    def __init__(self, size: tuple[int, int]) -> None:
        self.name = f"rdstrail-bench-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self.size = size
        self.env = {k: v for k, v in os.environ.items() if not _leaky(k)}
        # Called with every screen read and when it was read: lets a measurement notice
        # something (the end of indexing) while it waits for something else.
        self.observer: Callable[[str, float], None] | None = None
        self.base = ["tmux", "-L", self.name, "-f", os.devnull]
        self.control: Control | None = None
        self.socket: Path | None = None

    def tmux(self, *args: str) -> str:
        if self.control is None:
            raise RuntimeError("the pane is not open")
        return self.control.command(*args)

    def open(self) -> None:
        width, height = self.size
        window = ["-s", self.name, "-x", str(width), "-y", str(height)]
        new_session = [*self.base, "new-session", "-d", *window, IDLE]
        subprocess.run(new_session, env=self.env, timeout=DEADLINE, check=True)
        self.control = Control(self.base, self.name, self.env)
        self.tmux("set-option", "-t", self.name, "remain-on-exit", "on")
        shown = self.tmux(
            "display-message", "-p", "-t", self.name, "#{window_width}x#{window_height}"
        )
        if shown.strip() != f"{width}x{height}":
            raise RuntimeError(f"the tmux window is {shown.strip()}, not {width}x{height}")
        self.socket = Path(self.tmux("display-message", "-p", "#{socket_path}").strip())

    def close(self) -> None:
        if self.control is not None:
            self.control.close()
            self.control = None
        subprocess.run([*self.base, "kill-server"], capture_output=True, env=self.env, check=False)
        if self.socket is not None:
            self.socket.unlink(missing_ok=True)  # a killed server leaves its socket behind

    def launch(self, argv: Sequence[str], env: Mapping[str, str], cwd: Path) -> float:
        """Replace the pane's command with `argv` (exec'd: the pane's pid is the app's),
        run in `cwd`; returns the moment just before tmux was asked."""
        env_args = [arg for key, value in env.items() for arg in ("-e", f"{key}={value}")]
        command = "exec " + " ".join(shlex.quote(arg) for arg in argv)
        started = time.perf_counter()
        self.tmux("respawn-pane", "-k", "-t", self.name, "-c", str(cwd), *env_args, command)
        return started

    def stop(self) -> None:
        """End the app (by its own pid, which this started) and wait until it is gone, so
        that its exit costs nothing to the next measurement."""
        pid = self.pane_pid()
        self.tmux("respawn-pane", "-k", "-t", self.name, IDLE)
        deadline = time.perf_counter() + 10
        while Path(f"/proc/{pid}").exists() and _state(pid) not in ("Z", "X"):
            if time.perf_counter() > deadline:
                os.kill(pid, signal.SIGKILL)
                deadline += 10
            time.sleep(POLL)

    def send(self, key: str, *, literal: bool = False) -> float:
        """Type one key (a tmux key name, or text with `literal`); returns when it was sent."""
        sent = time.perf_counter()
        self.tmux("send-keys", "-t", self.name, *(["-l"] if literal else []), key)
        return sent

    def screen(self, *, escapes: bool = False) -> str:
        """The pane as text; with `escapes`, colours and attributes too (focus shows)."""
        text = self.tmux("capture-pane", "-p", *(["-e"] if escapes else []), "-t", self.name)
        if self.observer is not None:
            self.observer(text, time.perf_counter())
        return text

    def wait(self, condition: Condition, since: float, *, escapes: bool = False) -> float:
        """Seconds from `since` to the end of the first capture whose screen satisfies
        `condition` (the end: the figure is an upper bound, never flattered)."""
        screen = ""
        while time.perf_counter() < since + DEADLINE:
            screen = self.screen(escapes=escapes)
            if condition(screen):
                return time.perf_counter() - since
            time.sleep(POLL)
        raise ScreenTimeout(f"timed out; the screen was:\n{screen}")

    def settle(self, quiet: float = 0.03, longest: float = 1.0) -> None:
        """Wait (untimed) until the screen has not changed for `quiet` seconds, so one
        key's trailing repaints are not charged to the next key."""
        last, since = self.screen(), time.perf_counter()
        give_up = since + longest
        while time.perf_counter() < give_up:
            time.sleep(POLL)
            screen = self.screen()
            if screen != last:
                last, since = screen, time.perf_counter()
            elif time.perf_counter() - since >= quiet:
                return

    def capture_cost(self, samples: int = 20) -> float:
        """Median seconds of one capture-pane: the resolution of every figure."""
        costs = []
        for _ in range(samples):
            began = time.perf_counter()
            self.screen()
            costs.append(time.perf_counter() - began)
        return statistics.median(costs)

    def pane_pid(self) -> int:
        return int(self.tmux("list-panes", "-t", self.name, "-F", "#{pane_pid}").split()[0])

    def peak_rss_mb(self) -> float:
        """The largest VmHWM (peak resident set) among the pane's process and its
        descendants: the app itself, whatever launcher or workers it has."""
        peaks = [_vm_hwm_kb(pid) for pid in _descendants(self.pane_pid())]
        return max(peaks, default=0) / 1024


class Control:
    """A tmux control-mode client: each command is a line on its stdin, answered on its
    stdout by a `%begin TIME NUMBER FLAGS` ... `%end TIME NUMBER FLAGS` block (or `%error`);
    notifications come between blocks, never inside one."""

    def __init__(self, base: list[str], session: str, env: Mapping[str, str]) -> None:
        self.process = subprocess.Popen(
            [*base, "-C", "attach-session", "-t", session],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=dict(env),
        )
        self._reply("attach-session")  # the attach's own, empty, block
        self.command("refresh-client", "-f", "no-output")  # no %output of the app's frames

    def command(self, *args: str) -> str:
        assert self.process.stdin is not None
        self.process.stdin.write((" ".join(_quote(arg) for arg in args) + "\n").encode())
        self.process.stdin.flush()
        return self._reply(args[0])

    def _reply(self, what: str) -> str:
        begin = self._line(what)
        while not begin.startswith(b"%begin "):
            begin = self._line(what)
        stamp, number = begin.split()[1:3]
        end, error = b"%end " + stamp + b" " + number, b"%error " + stamp + b" " + number
        lines = []
        line = self._line(what)
        while line.split()[:3] != end.split() and line.split()[:3] != error.split():
            lines.append(line)
            line = self._line(what)
        text = b"".join(lines).decode("utf-8", "replace")
        if line.startswith(b"%error"):
            raise RuntimeError(f"tmux {what}: {text.strip()}")
        return text

    def _line(self, what: str) -> bytes:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"the tmux control client ended during {what}")
        return line

    def close(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()  # detaches
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def _quote(arg: str) -> str:
    """One argument in tmux's command syntax: single quotes hold everything literally (no
    $VAR, no escapes); a quote inside is closed, escaped and reopened, as in sh."""
    return "'" + arg.replace("'", "'\\''") + "'"


def _leaky(name: str) -> bool:
    return name in LEAKY_ENV or name.startswith("TEXTUAL")


def _state(pid: int) -> str:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return "X"
    return stat.rsplit(")", 1)[1].split()[0]


def _descendants(root: int) -> Iterator[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue  # gone meanwhile
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(parent, []).append(int(entry.name))
    pending = [root]
    while pending:
        pid = pending.pop()
        yield pid
        pending.extend(children.get(pid, []))


def _vm_hwm_kb(pid: int) -> int:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0
