"""One-pass CPU kernels for the element-wise updates that cost the most in the AdaMix reproduction.

The multi-tensor torch code of an update makes several passes over each tensor: five for AdaMix's
weights (``adamix_weight_update``), four for the RBM's momentum step
(``pretraining.momentum_step``). On one CPU thread each pass is limited by the memory traffic, and
at paper scale AdaMix's passes took about 15 % of a fine-tuning step. ``_fused.c`` does the same
float operations in the same order in one pass, so the numbers do not change. AdaGrad has no kernel:
torch's float ``sqrt`` is not the correctly rounded one on every build, so a C ``sqrtf`` would
change its last bits, and one pass fewer around torch's root measured within noise.

The C file is compiled at first use with the system's C compiler (``$CC``, else ``cc``) into a
cache folder (``$OPTIMBOOK_KERNELS``, else ``$XDG_CACHE_HOME/optimbook``, else
``~/.cache/optimbook``), under a name that hashes the source, the flags, the compiler and the
machine; the library is written to a temporary file and renamed, so a crash never leaves half of
one. On load, every kernel is run on test vectors beside the torch code it replaces and is used
only if the two agree bit for bit (on another torch build the order or the fusing of operations may
differ). Without a compiler, or on any failure, the torch code runs: :func:`status` says why.

A kernel is used only for plain (not subclassed: no DTensor) contiguous float32 CPU tensors and
only where torch runs one thread (the runner's workers): the C loop is serial, and torch would
split a large update across its threads. ``OPTIMBOOK_FUSED=0`` turns the kernels off for a
process, :func:`off` within a block (to count or time the torch code).
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import platform
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import torch

__all__ = ["enabled", "status", "used_by", "usable", "off", "adamix_weight", "momentum_decay"]

SOURCE = Path(__file__).with_name("_fused.c")
FLAGS = ["-O3", "-march=native", "-ffp-contract=off", "-fno-math-errno", "-std=c99", "-shared", "-fPIC"]

_lib: ctypes.CDLL | None = None
_why: str = "not loaded yet"
_loaded = False
_kernels: dict[str, bool] = {}
_off = 0  # depth of open ``off()`` blocks


def _cache_dir() -> Path:
    env = os.environ.get("OPTIMBOOK_KERNELS")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "optimbook"


def _machine() -> str:
    """What the compiled code depends on besides its source: the CPU (``-march=native``)."""
    try:
        lines = Path("/proc/cpuinfo").read_text().splitlines()
        cpu = next((ln for ln in lines if ln.startswith(("flags", "Features"))), "")
        model = next((ln for ln in lines if ln.startswith("model name")), "")
    except OSError:
        cpu, model = platform.processor(), ""
    return f"{platform.system()} {platform.machine()} {model} {cpu}"


def _compiler() -> str:
    cc = shutil.which(os.environ.get("CC", "cc"))
    if cc is None:
        raise RuntimeError(f"no C compiler ({os.environ.get('CC', 'cc')!r} is not on PATH)")
    return cc


def _target(cc: str) -> Path:
    """Where the library built by ``cc`` from this source for this machine is cached."""
    version = subprocess.run([cc, "--version"], capture_output=True, text=True, timeout=60).stdout
    digest = hashlib.sha256()
    for part in (SOURCE.read_bytes(), " ".join(FLAGS).encode(), version.encode(), _machine().encode()):
        digest.update(part)
    return _cache_dir() / f"fused-{digest.hexdigest()[:16]}.so"


def _compile() -> Path:
    """The compiled library (from the cache when it is there), or an error saying why not. A new
    library is written to a temporary file and renamed: a library in use is never overwritten."""
    cc = _compiler()
    target = _target(cc)
    if target.exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".fused-", suffix=".so", dir=target.parent)
    os.close(fd)
    try:
        done = subprocess.run([cc, *FLAGS, str(SOURCE), "-o", tmp, "-lm"],
                              capture_output=True, text=True, timeout=300)
        if done.returncode:
            raise RuntimeError(f"{cc} failed: {done.stderr.strip()[-500:]}")
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return target


def _bind(lib: ctypes.CDLL) -> None:
    f, i64, i32, p = ctypes.c_float, ctypes.c_int64, ctypes.c_int, ctypes.c_void_p
    lib.optimbook_adamix_weight.argtypes = [p, p, p, i64, i32, f, f, f]
    lib.optimbook_adamix_weight.restype = None
    lib.optimbook_momentum_decay.argtypes = [p, p, p, i64, f, f, f]
    lib.optimbook_momentum_decay.restype = None
    lib.optimbook_adagrad_onepass.argtypes = [p, p, p, i64, f, i32, f, f]
    lib.optimbook_adagrad_onepass.restype = None


def _load() -> None:
    global _lib, _why, _loaded
    _loaded = True
    if os.environ.get("OPTIMBOOK_FUSED", "1") == "0":
        _why = "turned off (OPTIMBOOK_FUSED=0)"
        return
    try:
        path = _compile()
        try:
            lib = ctypes.CDLL(str(path))
            _bind(lib)
        except (OSError, AttributeError):  # a damaged cached library: build it again
            path.unlink(missing_ok=True)
            lib = ctypes.CDLL(str(_compile()))
            _bind(lib)
    except (OSError, RuntimeError, subprocess.SubprocessError) as err:
        _why = f"not built: {err}"
        return
    _lib = lib
    _kernels.update({name: _agrees(check) for name, check in _CHECKS.items()})
    bad = [name for name, ok in _kernels.items() if not ok]
    _why = "in use" if not bad else f"in use, except {', '.join(bad)} (differs from torch's rounding here)"


def _reset() -> None:
    """Forget the loaded library: the next use builds or loads it again (for tests)."""
    global _lib, _why, _loaded
    _lib, _why, _loaded = None, "not loaded yet", False
    _kernels.clear()


def enabled(kernel: str) -> bool:
    """Whether ``kernel`` was built and agrees with the torch code on this machine."""
    if not _loaded:
        _load()
    return _kernels.get(kernel, False)


def status() -> str:
    """A line saying whether the kernels are in use, or why not."""
    if not _loaded:
        _load()
    return _why


def used_by(device: str | torch.device) -> str:
    """Whether a job on ``device``, in this process as it is now, runs the kernels: ``"in use"``,
    else a line saying why not (for a run's record)."""
    dev = torch.device(device)
    if dev.type != "cpu":
        return f"not used (device {dev.type})"
    if torch.get_num_threads() != 1:
        return f"not used ({torch.get_num_threads()} torch threads)"
    return status()


@contextmanager
def off() -> Iterator[None]:
    """Within this block every update runs its torch code."""
    global _off
    _off += 1
    try:
        yield
    finally:
        _off -= 1


def usable(kernel: str, *tensors: list[torch.Tensor]) -> bool:
    """Whether ``kernel`` may replace the torch code for these lists of tensors."""
    if _off or torch.get_num_threads() != 1 or not enabled(kernel):
        return False
    return all(type(t) in _PLAIN and t.device.type == "cpu" and t.dtype == torch.float32
               and t.is_contiguous() for ts in tensors for t in ts)


#: Tensor types whose ``data_ptr`` is their own memory: a subclass (FSDP2's DTensor, a fake or
#: functional tensor) may wrap or lack it, so the torch code updates those.
_PLAIN = (torch.Tensor, torch.nn.Parameter)


def adamix_weight(params, grads, rates, *, K: float, grad_scale: float, step_scale: float) -> None:
    """The one-pass ``adamix_weight_update`` (check :func:`usable` first)."""
    scaled = grad_scale != 1.0
    for p, g, r in zip(params, grads, rates, strict=True):
        _same(p, g, r)
        _lib.optimbook_adamix_weight(p.data_ptr(), g.data_ptr(), r.data_ptr(), p.numel(), int(scaled),
                                     grad_scale * grad_scale, K, -step_scale)
        _written(p, r)


def momentum_decay(param: torch.Tensor, inc: torch.Tensor, grad: torch.Tensor, *, momentum: float,
                   lr: float, decay: float) -> None:
    """The one-pass ``pretraining.momentum_step`` (check :func:`usable` first)."""
    _same(param, inc, grad)
    _lib.optimbook_momentum_decay(param.data_ptr(), inc.data_ptr(), grad.data_ptr(), param.numel(),
                                  momentum, lr, -decay)
    _written(param, inc)


def adagrad_onepass(params, grads, sums, *, lr: float, eps: float, grad_scale: float) -> None:
    """AdaGrad's whole update in one pass with a correctly rounded root, for the cost comparison of
    ``benchmarks/adamix_cost.py`` only (never used by the library: its last bits may differ from
    ``adagrad_update``'s). Needs a built library (``status()`` starting with "in use")."""
    if _lib is None:
        raise RuntimeError(f"the kernels are not built: {status()}")
    for p, g, s in zip(params, grads, sums, strict=True):
        _same(p, g, s)
        _lib.optimbook_adagrad_onepass(p.data_ptr(), g.data_ptr(), s.data_ptr(), p.numel(),
                                       grad_scale * grad_scale, int(bool(eps)), eps, -lr)
        _written(p, s)


def _written(*tensors: torch.Tensor) -> None:
    """Advance the version counters of tensors written behind torch's back, as an in-place torch op
    would, so that autograd still refuses a backward through a value the step has overwritten."""
    for t in tensors:
        torch.autograd.graph.increment_version(t)


def _same(*tensors: torch.Tensor) -> None:
    shape = tensors[0].shape
    if any(t.shape != shape for t in tensors):
        raise ValueError(f"shapes differ: {[tuple(t.shape) for t in tensors]}")


# -- the check on load: each kernel against the torch code it replaces ------------------------------
def _vectors(seed: int) -> list[torch.Tensor]:
    """Test tensors of lengths that end inside and outside a vector register, with values from
    1e-6 to 1e3 in size, of both signs, and exact zeros."""
    g = torch.Generator().manual_seed(seed)
    out = []
    for n in (1, 7, 64, 1003, 4099):
        x = torch.randn(n, generator=g) * torch.exp(torch.empty(n).uniform_(-14, 7, generator=g))
        x[torch.rand(n, generator=g) < 0.05] = 0.0
        out.append(x)
    return out


def _check_adamix(ref: Callable, scale: float, K: float, step: float) -> bool:
    for p, g, r in zip(_vectors(1), _vectors(2), _vectors(3)):
        r = r.abs() + 1e-3
        a = [p.clone()], [r.clone()]
        b = [p.clone()], [r.clone()]
        ref(a[0], [g], a[1], K=K, grad_scale=scale, step_scale=step)
        adamix_weight(b[0], [g], b[1], K=K, grad_scale=scale, step_scale=step)
        if not (torch.equal(a[0][0], b[0][0]) and torch.equal(a[1][0], b[1][0])):
            return False
    return True


def _check_momentum(momentum: float, lr: float, decay: float) -> bool:
    from ..pretraining import momentum_step
    for w, inc, d in zip(_vectors(7), _vectors(8), _vectors(9)):
        a, b = (w.clone(), inc.clone()), (w.clone(), inc.clone())
        momentum_step(*a, d, momentum=momentum, lr=lr, decay=decay, fused=False)
        momentum_decay(*b, d, momentum=momentum, lr=lr, decay=decay)
        if not (torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])):
            return False
    return True


def _torch_adamix(*args, **kwargs) -> None:
    from .adamix import adamix_weight_update
    adamix_weight_update(*args, **kwargs, fused=False)


_CHECKS: dict[str, Callable[[], bool]] = {
    "adamix_weight": lambda: all(_check_adamix(_torch_adamix, s, K, a)
                                 for s, K, a in ((1.0, 1.0, 1.0), (0.01, 0.1, 0.37), (3.0, 1e-3, 2.5))),
    "momentum_decay": lambda: all(_check_momentum(m, lr, c) for m, lr, c in
                                  ((0.5, 0.1 / 100, 0.1 * 2e-4), (0.9, 0.001, 0.0), (0.0, 0.37, 1.5))),
}


def _agrees(check: Callable[[], bool]) -> bool:
    with torch.no_grad():
        return check()
