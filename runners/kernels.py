"""A pool of warm Jupyter kernels, reset between runs, so a run does not pay for a kernel start.

A kernel is started once (about half a second), then reused: after each run its namespace is
cleared (``%reset -f``) and its working directory restored. A kernel that timed out, was
interrupted or died is shut down and replaced; every kernel is recycled after ``max_uses`` runs so
that state kept in imported modules cannot build up.

References
----------
.. [1] Jupyter messaging protocol, https://jupyter-client.readthedocs.io/en/stable/messaging.html
"""

import os
import queue
import threading

from jupyter_client.manager import KernelManager

__all__ = ["Kernel", "KernelPool"]


class Kernel:
    """One running kernel and its client.

    Parameters
    ----------
    kernel_name : str
        Jupyter kernel spec name (``python3``).
    cwd : str
        Folder the kernel starts in and returns to after each run.
    """

    def __init__(self, kernel_name="python3", cwd=None):
        self.cwd = cwd or os.getcwd()
        self.manager = KernelManager(kernel_name=kernel_name)
        self.manager.start_kernel(cwd=self.cwd, env=dict(os.environ, PYTHONUNBUFFERED="1"))
        self.client = self.manager.client()
        self.client.start_channels()
        self.client.wait_for_ready(timeout=60)
        self.uses = 0
        self.broken = False

    def reset(self, timeout_s=30):
        """Clear the kernel's namespace and return it to its folder; mark it broken on failure.

        Parameters
        ----------
        timeout_s : float
            How long the reset may take before the kernel is given up.
        """
        # Like %reset -f, without its full garbage collection (which costs ~0.2 s once large
        # packages are loaded): drop every user name, keep IPython's own.
        code = ("(lambda ip: [ip.user_ns.pop(k) for k in list(ip.user_ns) "
                "if k not in ip.user_ns_hidden and not k.startswith('__')])(get_ipython()); "
                f"__import__('os').chdir({self.cwd!r})")
        try:
            reply = self.client.execute_interactive(code, timeout=timeout_s, store_history=False,
                                                    output_hook=lambda msg: None)
            self.broken = reply["content"]["status"] != "ok"
        except Exception:  # a timeout or a dead kernel: never reuse it
            self.broken = True

    def alive(self):
        """Return True if the kernel process is running."""
        try:
            return self.manager.is_alive()
        except Exception:
            return False

    def shutdown(self):
        """Stop the kernel at once."""
        try:
            self.client.stop_channels()
        finally:
            try:
                self.manager.shutdown_kernel(now=True)
            except Exception:
                pass

    def kill(self):
        """Kill the kernel process (used to abort a run or enforce a time limit)."""
        self.broken = True
        try:
            self.manager.shutdown_kernel(now=True)
        except Exception:  # already dead
            pass
        # nbclient may be blocked reading the (now silent) output channel: closing the client's
        # sockets ends that read with an error, so the run returns at once.
        try:
            self.client.stop_channels()
        except Exception:
            pass


class KernelPool:
    """Warm kernels handed out one run at a time.

    Parameters
    ----------
    size : int
        Most kernels kept warm (the executor's concurrency).
    kernel_name : str
    max_uses : int
        Runs after which a kernel is replaced by a fresh one.
    cwd : str or None
        Neutral folder for idle kernels.
    """

    def __init__(self, size=2, kernel_name="python3", max_uses=50, cwd=None):
        self.size = size
        self.kernel_name = kernel_name
        self.max_uses = max_uses
        self.cwd = cwd
        self._idle = queue.LifoQueue()
        self._lock = threading.Lock()
        self._closed = False

    def acquire(self):
        """Return a ready kernel (a warm one if any is idle, else a new one)."""
        try:
            kernel = self._idle.get_nowait()
        except queue.Empty:
            return Kernel(self.kernel_name, self.cwd)
        if kernel.broken or not kernel.alive():
            kernel.shutdown()
            return Kernel(self.kernel_name, self.cwd)
        return kernel

    def release(self, kernel):
        """Give a kernel back after a run: reset and keep it, or replace it if broken or worn out."""
        kernel.uses += 1
        if not kernel.broken and kernel.alive() and kernel.uses < self.max_uses and not self._closed:
            kernel.reset()
        if kernel.broken or not kernel.alive() or kernel.uses >= self.max_uses or self._closed \
                or self._idle.qsize() >= self.size:
            kernel.shutdown()
            return
        self._idle.put(kernel)

    def warm_up(self, n=1):
        """Start ``n`` kernels ahead of the first run."""
        for _ in range(min(n, self.size) - self._idle.qsize()):
            self._idle.put(Kernel(self.kernel_name, self.cwd))

    def close(self):
        """Shut down every idle kernel; kernels in use are shut down when released."""
        self._closed = True
        while True:
            try:
                self._idle.get_nowait().shutdown()
            except queue.Empty:
                return
