"""Check an output folder before the work that fills it.

``xborder run -o /proc/x`` used to solve for a minute and then crash with a
traceback when it wrote the plan. Commands call :func:`check_out_dir` first:
the folder is created if needed and a probe file is written and removed, so
a folder that cannot take the outputs is bad input (exit 2) before any work.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from optimizer.errors import InputError, Problem


def check_out_dir(path: str | Path, *, option: str = "-o") -> Path:
    """Create ``path`` if needed and prove it writable; raise :class:`InputError` if not."""
    path = Path(path)
    expected = "a folder this user can create and write to"
    if path.exists() and not path.is_dir():
        raise InputError([Problem(str(path), "is a file, not a folder", field=option)])
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=path, prefix=".xborder-probe."):
            pass
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise InputError(
            [
                Problem(
                    str(path),
                    f"cannot write outputs here: {reason}",
                    field=option,
                    expected=expected,
                )
            ]
        ) from None
    return path


def check_out_file(path: str | Path, *, option: str = "-o") -> Path:
    """The folder of output file ``path`` must take it; ``path`` must not be a folder."""
    path = Path(path)
    if path.is_dir():
        raise InputError([Problem(str(path), "is a folder, not a file", field=option)])
    check_out_dir(path.parent, option=option)
    return path
