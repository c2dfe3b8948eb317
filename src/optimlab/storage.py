"""Files that are complete or absent: atomic writes, and loads that detect a damaged file.

A write goes to a temporary ``.<name>.<pid>.<token>.part`` file in the same folder, is flushed to
disk and renamed over the target, so a killed writer never leaves a half-written file under the
real name; the partial file it may leave is removed by the next write into that folder
(:func:`clean_partial`). Files get the permissions of any new file (``0o666`` less the umask:
``-rw-r--r--`` under the usual umask 022).

:func:`load_json` and :func:`load_torch` return ``None`` for a missing file *and* for a damaged one
(it does not parse, or a torch archive fails its CRC-32 checks), after moving the damaged file
aside to ``<name>.corrupt`` and warning with its path (:class:`CorruptFileWarning`): a cache
recomputes the entry instead of crashing on it. :func:`read_torch` raises
:class:`DamagedFileError` instead, for a caller that validates several files as one entry and moves
them aside together (:func:`quarantine_entry`).
"""

from __future__ import annotations

import io
import json
import os
import pickle
import secrets
import time
import warnings
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

__all__ = [
    "CorruptFileWarning",
    "DamagedFileError",
    "atomic_torch_save",
    "atomic_write_bytes",
    "atomic_write_text",
    "clean_partial",
    "load_json",
    "load_torch",
    "quarantine",
    "quarantine_entry",
    "read_torch",
]

#: A ``.part`` file older than this (seconds) is a leftover whatever its writer's pid says.
PARTIAL_MAX_AGE = 60.0

_cleaned: set[Path] = set()


class CorruptFileWarning(UserWarning):
    """A damaged file was found, moved aside to ``<name>.corrupt``, and will be recomputed."""


class DamagedFileError(ValueError):
    """A file on disk is damaged (the message says how)."""


def _writer_gone(pid: int) -> bool:
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, owned by someone else
        return False
    return False


def clean_partial(folder: str | os.PathLike, *, max_age: float = PARTIAL_MAX_AGE) -> list[Path]:
    """Remove the ``.part`` files a killed atomic write left in ``folder``; return them.

    A partial file is removed when its writer process (the pid in its name) no longer exists, or
    when it was last modified more than ``max_age`` seconds ago (partial files of other machines,
    or of older versions that did not record the pid).
    """
    removed = []
    now = time.time()
    try:
        entries = list(os.scandir(folder))
    except FileNotFoundError:
        return removed
    for entry in entries:
        if not (entry.name.startswith(".") and entry.name.endswith(".part")):
            continue
        parts = entry.name.split(".")
        pid = int(parts[-3]) if len(parts) >= 5 and parts[-3].isdigit() else None
        try:
            stale = now - entry.stat().st_mtime > max_age or (pid is not None and _writer_gone(pid))
            if stale:
                os.unlink(entry.path)
                removed.append(Path(entry.path))
        except FileNotFoundError:  # its writer renamed or removed it meanwhile
            continue
    return removed


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder and an atomic rename.

    The first write into a folder in this process also removes leftover partial files there
    (:func:`clean_partial`). The file's mode is ``0o666`` less the umask.
    """
    path = Path(path)
    folder = path.parent
    folder.mkdir(parents=True, exist_ok=True)
    if folder not in _cleaned:
        clean_partial(folder)
        _cleaned.add(folder)
    tmp = folder / f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.part"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    """:func:`atomic_write_bytes` for UTF-8 text."""
    atomic_write_bytes(path, text.encode())


def atomic_torch_save(path: str | os.PathLike, obj: Any) -> None:
    """``torch.save`` to ``path`` atomically."""
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    atomic_write_bytes(path, buffer.getvalue())


def quarantine(path: str | os.PathLike, reason: str) -> Path:
    """Move a damaged file aside to ``<name>.corrupt`` (replacing an older one) and warn."""
    path = Path(path)
    target = path.with_name(path.name + ".corrupt")
    os.replace(path, target)
    warnings.warn(
        f"{path} is corrupt ({reason}); moved aside to {target.name}, it will be recomputed",
        CorruptFileWarning,
        stacklevel=3,
    )
    return target


def _read_bytes(path: Path) -> bytes | None:
    """The bytes of ``path``, or ``None`` when it is missing."""
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None


def load_json(
    path: str | os.PathLike, *, validate: Callable[[Any], object] | None = None
) -> Any | None:
    """The parsed JSON in ``path``, or ``None`` when it is missing or damaged.

    A file that is not valid UTF-8 JSON, or for which ``validate(data)`` raises ``KeyError``,
    ``TypeError`` or ``ValueError`` (e.g. ``lambda d: d["records"]``), is damaged: it is moved
    aside with :func:`~optimlab.storage.quarantine` and ``None`` is returned, so the caller
    recomputes it.
    """
    path = Path(path)
    raw = _read_bytes(path)
    if raw is None:
        return None
    try:
        data = json.loads(raw.decode("utf-8"))
        if validate is not None:
            validate(data)
    except (UnicodeDecodeError, KeyError, TypeError, ValueError) as err:  # JSONDecodeError too
        quarantine(path, f"{type(err).__name__}: {err}")
        return None
    return data


def read_torch(path: str | os.PathLike, **kwargs: Any) -> Any | None:
    """``torch.load(path, **kwargs)``, or ``None`` when the file is missing.

    The file must be a complete ``torch.save`` archive whose every record passes its CRC-32 check
    (a truncated or bit-flipped file does not); ``EOFError`` and unpickling errors while loading
    also mark it damaged.

    Raises:
        DamagedFileError: the file is damaged (it is left where it is). Other errors (e.g.
            ``map_location`` naming an absent device) propagate: the file is not at fault.
    """
    raw = _read_bytes(Path(path))
    if raw is None:
        return None
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            bad = archive.testzip()
        if bad is not None:
            raise zipfile.BadZipFile(f"record {bad} fails its CRC-32 check")
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError) as err:
        raise DamagedFileError(f"not a complete torch archive: {err}") from None
    try:
        return torch.load(io.BytesIO(raw), **kwargs)
    except (EOFError, pickle.UnpicklingError, zipfile.BadZipFile) as err:
        if isinstance(err, pickle.UnpicklingError) and "weights_only" in str(err):
            raise  # a type the weights-only loader refuses: the caller's choice, not damage
        raise DamagedFileError(f"{type(err).__name__}: {err}") from None


def load_torch(path: str | os.PathLike, **kwargs: Any) -> Any | None:
    """:func:`read_torch`, or ``None`` when the file is missing or damaged; a damaged file is moved
    aside with :func:`~optimlab.storage.quarantine`. Other errors (e.g. ``map_location`` naming an
    absent device) propagate: the file is not at fault."""
    try:
        return read_torch(path, **kwargs)
    except DamagedFileError as err:
        quarantine(path, str(err))
        return None


def quarantine_entry(paths: list[str | os.PathLike], reason: str) -> list[Path]:
    """Move aside every existing file of an entry that is not whole (``<name>.corrupt`` each), with
    one warning naming the entry's first file and what was moved; return the new paths."""
    paths = [Path(p) for p in paths]
    moved = []
    for path in paths:
        target = path.with_name(path.name + ".corrupt")
        try:
            os.replace(path, target)
        except FileNotFoundError:
            continue
        moved.append(target)
    names = ", ".join(p.name for p in moved) or "nothing left to move"
    warnings.warn(f"{paths[0]} is corrupt ({reason}); the whole entry is moved aside ({names}) and will be"
                  " recomputed", CorruptFileWarning, stacklevel=3)
    return moved
