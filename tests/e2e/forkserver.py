"""Start `python -m bot run` in milliseconds, again and again: a parent that has imported the bot forks each start.

Importing aiogram and the bot costs seconds of CPU; a test that kills the bot fifty times cannot pay
that fifty times. This parent imports everything once, then for each line on stdin (a log file path)
forks a child that runs `bot.cli.main(["run"])` with its output in that file, and prints the child's
pid. The child is a real process with its own event loop, database connections and sockets, killed
with SIGKILL like any other. The parent reaps its children; it exits when stdin closes.

    python tests/e2e/forkserver.py    (environment: the bot's settings)
"""
from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))


def reap(*_) -> None:
    """Collect every child that ended, so none lingers as a zombie."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def child(log_path: str, run) -> None:
    """Become the bot: output to the log, no stdin, the default signal handling; never return."""
    code = 1
    try:
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        out = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        os.dup2(out, 1)
        os.dup2(out, 2)
        os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
        code = run(["run"])
    except BaseException as exc:  # the child must never go back to the parent's loop
        print(f"bot child failed: {exc!r}", file=sys.stderr)
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code if isinstance(code, int) else 1)


def main() -> None:
    """Import the bot, then fork one bot per line read."""
    import bot.app  # noqa: F401  (the slow imports, done once)
    import bot.commands  # noqa: F401
    from bot.cli import main as run

    signal.signal(signal.SIGCHLD, reap)
    print("ready", flush=True)
    for line in sys.stdin:
        log_path = line.strip()
        if not log_path:
            continue
        pid = os.fork()
        if pid == 0:
            child(log_path, run)
        print(pid, flush=True)


if __name__ == "__main__":
    main()
