"""A pytest plugin that keeps a finished test session from hanging on its way out.

Once every test has run and the summary is printed, Python still joins every non-daemon thread
(`concurrent.futures` workers among them) and runs the finalisers of C extensions; a thread blocked
in a kernel wait, a query that cannot be cancelled, or a Kafka client whose broker is already gone
can then hold the process for ever, and CI waits for its time limit although every test passed.

This plugin:

- at the end of the session, names the threads and child processes still alive (so a leak is seen
  and can be fixed where it starts), and stops the child processes;
- then arms a watchdog: if the interpreter is still running ``GRACE_S`` seconds after pytest is done,
  it prints the stack of every thread and ends the process with the session's own exit status, so a
  hang on the way out never turns a run into a time-out, and never turns a failure into a pass.
"""

import faulthandler
import os
import sys
import threading

GRACE_S = 60.0
"""Seconds the interpreter may take to exit after the session before the watchdog ends it."""

_status = {"exit": 0}


def _children():
    try:
        import psutil
    except ImportError:  # pragma: no cover - psutil comes with dask.distributed
        return []
    try:
        return psutil.Process().children(recursive=True)
    except psutil.Error:  # pragma: no cover
        return []


def _report(write):
    threads = [t for t in threading.enumerate() if t is not threading.main_thread() and t.is_alive()]
    blocking = [t for t in threads if not t.daemon]
    if blocking:
        write(f"exit guard: {len(blocking)} non-daemon thread(s) still alive: "
              + ", ".join(sorted(t.name for t in blocking)))
    children = _children()
    if children:
        names = []
        for child in children:
            try:
                names.append(f"{child.pid} {' '.join(child.cmdline()[:3])}")
            except Exception:  # the child is gone already
                continue
        write(f"exit guard: {len(children)} child process(es) still alive, stopping them: " + "; ".join(names))
        for child in children:
            try:
                child.kill()
            except Exception:
                pass


def pytest_sessionfinish(session, exitstatus):
    """Remember the session's exit status for the watchdog."""
    _status["exit"] = int(exitstatus)


def pytest_terminal_summary(terminalreporter):
    """Name what would keep the process alive, and stop leftover child processes."""
    _report(terminalreporter.write_line)


def pytest_unconfigure(config):
    """Arm the watchdog that ends a process hanging after the session with the session's status."""
    def expire():
        sys.stderr.write(f"\nexit guard: the test process was still running {GRACE_S:g} s after the session "
                         f"ended; the stacks of its threads follow, then it exits with status {_status['exit']}.\n")
        faulthandler.dump_traceback(file=sys.stderr, all_threads=True)
        sys.stderr.flush()
        sys.stdout.flush()
        os._exit(_status["exit"])

    timer = threading.Timer(GRACE_S, expire)
    timer.daemon = True
    timer.name = "exit-guard"
    timer.start()
