"""Code that runs inside a run's kernel, after the notebook's cells: report outputs and what ran.

`runners.notebook` sends this module's source (without docstrings) and a call of `_sw_report` as
the run's last cell, run with ``exec`` in a namespace of its own; the kernel never imports skyweave. Every name is prefixed ``_sw_`` so that
nothing a notebook defines is shadowed before its outputs are read.

The report is one line, ``<<skyweave-outputs>>`` followed by JSON with ``values`` (declared
outputs, JSON-able), ``units`` (each value's declared unit, else the unit of a value that was an
astropy Quantity), ``problems`` (outputs whose Quantity could not be converted to the declared
unit) and ``environment``: ``code_files`` (each imported file under the code folders, by path relative to
the code root, with its SHA-256), ``packages`` (every loaded top-level, non-standard-library module
that states a ``__version__``, outside the code folders), ``python``, ``kernel`` and ``data_files``.

``data_files`` names the bytes the run read from the data folders: the first cell installs
`_sw_watch_data`, an audit hook (PEP 578, event ``open``) that keeps the absolute path of every
file opened for reading under those folders; the report gives each one's path relative to its
folder with its SHA-256 and size in bytes. A kernel serves one run only, so the hook ends with it.

References
----------
.. [1] PEP 578, Python Runtime Audit Hooks, https://peps.python.org/pep-0578/ ; the ``open`` event,
   https://docs.python.org/3/library/audit_events.html
"""

__all__ = ["_sw_watch_data", "_sw_report"]

def _sw_watch_data(folders):
    """Record every file opened for reading under ``folders`` from now on (an audit hook, PEP 578).

    The hook is a prefix test on the ``open`` event's path (made absolute and normalised only when it
    is relative or holds ``..``); it never raises and ignores every other event, so it changes nothing
    else the kernel does.

    Parameters
    ----------
    folders : list of (str, str)
        Each data folder (absolute) and the prefix its files' reported paths get (``""`` for the
        folder the service serves under ``/files/``, ``"$GAMMAPY_DATA/"`` for another one).
    """
    import os
    import sys
    import types

    prefixes = []
    for folder, label in folders:
        for variant in dict.fromkeys((os.path.normpath(folder), os.path.realpath(folder))):
            prefixes.append((variant.rstrip(os.sep) + os.sep, label))
    state = types.ModuleType("_skyweave_audit")
    state.opened, state.prefixes = set(), prefixes
    sys.modules["_skyweave_audit"] = state
    starts = tuple(p for p, _ in prefixes)
    opened, fspath, fsdecode, getcwd = state.opened, os.fspath, os.fsdecode, os.getcwd
    join, normpath, isabs, sep, wronly = os.path.join, os.path.normpath, os.path.isabs, os.sep, os.O_WRONLY

    def hook(event, args):
        if event != "open":
            return
        try:
            path, mode, flags = args[0], args[1], args[2]
            if not isinstance(path, str):
                if isinstance(path, int):  # a file descriptor: opened earlier, by path
                    return
                path = fsdecode(fspath(path))
            if mode is None:  # os.open: the access mode is in the flags
                if flags & 3 == wronly:
                    return
            elif isinstance(mode, str) and "r" not in mode and "+" not in mode:
                return
            if not isabs(path) or sep + ".." in path:
                path = normpath(join(getcwd(), path))
            if path.startswith(starts):
                opened.add(path)
        except Exception:  # an audit hook that raises would break the open: never
            pass

    sys.addaudithook(hook)


def _sw_data_files():
    """Path (relative to its data folder) -> ``{"sha256", "size"}`` of each file the run read there."""
    import hashlib
    import os
    import sys

    state = sys.modules.get("_skyweave_audit")
    out = {}
    if state is None:
        return out
    for path in sorted(state.opened):
        if not os.path.isfile(path):
            continue
        label = next((lab + path[len(p):] for p, lab in state.prefixes if path.startswith(p)), None)
        if label is None:
            continue
        with open(path, "rb") as handle:
            digest = hashlib.file_digest(handle, "sha256").hexdigest()
            size = os.fstat(handle.fileno()).st_size
        out[label.replace(os.sep, "/")] = {"sha256": digest, "size": size}
    return out


def _sw_report(outputs, marker, code_dirs, code_root, declared=None):
    """Print the outputs and the environment of this run as one marked JSON line.

    Parameters
    ----------
    outputs : list of str
        Declared output names, read from the notebook's global namespace.
    marker : str
        Prefix of the printed line.
    code_dirs : list of str
        Folders of the workflow version's files (imported modules under them are hashed).
    code_root : str
        Folder the hashed files' paths are relative to.
    declared : dict of str to str or None
        Declared unit (astropy string) of numeric outputs by name: a Quantity is converted to it
        (one that cannot be is reported under ``problems`` and left out), a number is in it.
    """
    import hashlib
    import json
    import os
    import platform
    import sys

    user = sys.modules["__main__"].__dict__
    declared = declared or {}
    values, units, problems = {}, {}, []
    for name in outputs:
        value = user.get(name)
        if value is None:
            continue
        quantity = hasattr(value, "unit") and hasattr(value, "to_value") and getattr(value, "shape", None) == ()
        if quantity and name in declared:
            try:
                value = value.to_value(declared[name])
            except Exception as exc:  # astropy's UnitConversionError, or a unit it cannot parse
                problems.append(f"output {name} is in {value.unit}, which cannot be converted to its declared "
                                f"unit {declared[name]} ({exc.__class__.__name__})")
                continue
            units[name] = declared[name]
        elif quantity:
            try:  # FITS / VOUnit-style text (cm-2 s-1 TeV-1), else astropy's generic form
                units[name] = value.unit.to_string("fits")
            except ValueError:
                units[name] = value.unit.to_string()
            value = value.value
        if hasattr(value, "__fspath__"):
            value = os.fspath(value)
        elif hasattr(value, "item") and getattr(value, "shape", None) == ():
            value = value.item()
        if not isinstance(value, (bool, int, float, str)):
            value = str(value)
        if name in declared and name not in units and isinstance(value, (int, float)) and not isinstance(value, bool):
            units[name] = declared[name]  # a plain number is in its declared unit
        values[name] = value
    # The code folders arrive resolved, as they were put on sys.path, so a plain prefix test finds
    # the modules loaded from them (no realpath per module: that costs a stat per path component).
    roots = tuple(d.rstrip(os.sep) + os.sep for d in code_dirs)
    files, packages = {}, {}
    for name, module in list(sys.modules.items()):
        namespace = getattr(module, "__dict__", {})
        path = namespace.get("__file__")
        if isinstance(path, str) and path.startswith(roots):
            with open(path, "rb") as handle:
                files[os.path.relpath(path, code_root)] = hashlib.sha256(handle.read()).hexdigest()
            continue
        if "." in name or name.startswith("_") or name in sys.stdlib_module_names:
            continue
        version = namespace.get("__version__")  # never a module __getattr__, which may import
        if isinstance(version, str):
            packages[name] = version
    kernel = sys.modules.get("ipykernel")
    environment = {"code_files": dict(sorted(files.items())), "packages": dict(sorted(packages.items())),
                   "python": platform.python_version(),
                   "kernel": f"ipykernel {getattr(kernel, '__version__', '?')}", "data_files": _sw_data_files()}
    print(marker + json.dumps({"values": values, "units": units, "environment": environment, "problems": problems}))
