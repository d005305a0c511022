"""The kernel client given to nbclient ends its waits when the kernel is killed or dies (`runners.kernels`)."""

import threading
import time
from queue import Empty

import pytest

from skyweave.runners.kernels import KernelKilled, _StoppableChannel


class _SilentChannel:
    """A channel on which no message ever comes (a killed kernel's)."""

    def __init__(self):
        self.waits = 0

    def get_msg(self, timeout=None):
        assert timeout is not None, "a wait without a time limit cannot be ended from another thread"
        self.waits += 1
        time.sleep(timeout)
        raise Empty


def test_a_wait_without_limit_ends_soon_after_the_kill_from_another_thread():
    stopped = threading.Event()
    channel = _StoppableChannel(_SilentChannel(), stopped, alive=lambda: True, step_s=0.02)
    timer = threading.Timer(0.2, stopped.set)
    timer.start()
    started = time.monotonic()
    try:
        with pytest.raises(KernelKilled, match="killed"):
            channel.get_msg(timeout=None)
    finally:
        timer.cancel()
        timer.join()
    assert 0.15 < time.monotonic() - started < 2


def test_a_wait_ends_when_the_kernel_process_died_and_a_time_limit_still_holds():
    channel = _StoppableChannel(_SilentChannel(), threading.Event(), alive=lambda: False, step_s=0.02)
    with pytest.raises(KernelKilled, match="died"):
        channel.get_msg(timeout=None)
    alive = _StoppableChannel(_SilentChannel(), threading.Event(), alive=lambda: True, step_s=0.02)
    started = time.monotonic()
    with pytest.raises(Empty):
        alive.get_msg(timeout=0.1)
    assert time.monotonic() - started < 1


def test_a_kernel_talks_over_unix_sockets_in_a_private_folder_removed_at_shutdown():
    """No TCP port on the loopback (reachable by every local user, messages in plain text)."""
    import os
    import stat

    from skyweave.runners.kernels import Kernel

    kernel = Kernel()
    try:
        info = kernel.manager.get_connection_info()
        assert info["transport"] == "ipc"
        folder = os.path.dirname(info["ip"])
        assert stat.S_IMODE(os.stat(folder).st_mode) & 0o777 == 0o700  # jupyter may add the sticky bit
        sockets = [f for f in os.listdir(folder) if stat.S_ISSOCK(os.stat(os.path.join(folder, f)).st_mode)]
        assert len(sockets) == 5  # shell, iopub, stdin, control, heartbeat
        reply = kernel.client.execute_interactive("x = 6 * 7", timeout=30, output_hook=lambda msg: None)
        assert reply["content"]["status"] == "ok"
    finally:
        kernel.shutdown()
    assert not os.path.exists(folder)
