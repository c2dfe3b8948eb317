"""The one-pass CPU kernels of :mod:`optimbook.optim._fused`: the same numbers as the torch code they
replace, bit for bit, where they run; the torch code wherever they cannot be trusted (no compiler,
turned off, a damaged library, a kernel whose rounding differs from torch's, several threads)."""

from __future__ import annotations

import platform
import shutil

import pytest
import torch

from optimbook import pretraining
from optimbook.experiments import adamix
from optimbook.models.rbm import RBM
from optimbook.optim import AdaMix, PerRole, _fused
from optimbook.pretraining import RBMTraining, train_rbm
from optimbook.schedules import power_decay

needs_cc = pytest.mark.skipif(shutil.which("cc") is None, reason="no C compiler on this machine")


@pytest.fixture
def one_thread():
    """The kernels run where torch runs one thread (the runner's workers)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture
def fresh(monkeypatch, tmp_path):
    """A kernel library of this test's own, built into ``tmp_path`` on first use."""
    monkeypatch.setenv("OPTIMBOOK_KERNELS", str(tmp_path))
    monkeypatch.delenv("OPTIMBOOK_FUSED", raising=False)
    _fused._reset()
    yield tmp_path
    _fused._reset()


def _require(kernel: str) -> None:
    if not _fused.enabled(kernel):
        pytest.skip(f"kernel {kernel} not in use here: {_fused.status()}")


def _count_calls(monkeypatch, name: str) -> list[int]:
    calls = [0]
    original = getattr(_fused, name)

    def counted(*args, **kwargs):
        calls[0] += 1
        return original(*args, **kwargs)

    monkeypatch.setattr(_fused, name, counted)
    return calls


SHAPES = [(600, 784), (784,), (250, 30), (30,)]  # a weight larger than a row block, a small one


def _trajectory(make, steps=8):
    """float32 parameters and optimizer state after ``steps`` steps on a fixed quadratic-sine loss."""
    g = torch.Generator().manual_seed(0)
    params = [torch.nn.Parameter(torch.randn(s, generator=g) * 0.1) for s in SHAPES]
    targets = [torch.randn(s, generator=g) for s in SHAPES]
    opt = make(params)
    for _ in range(steps):
        opt.zero_grad()
        sum((torch.sin(3 * p) * t).sum() + (p * p).sum() for p, t in zip(params, targets)).backward()
        opt.step()
    state = [{k: v.clone() for k, v in opt.state[p].items() if isinstance(v, torch.Tensor)} for p in params]
    return [p.detach().clone() for p in params], state


def _bitwise_equal(a, b) -> None:
    for x, y in zip(a, b, strict=True):
        torch.testing.assert_close(x, y, rtol=0, atol=0)


def _roles(params):
    return [{"params": [p], "role": "weight" if p.ndim == 2 else "bias"} for p in params]


OPTIMIZERS = {
    "AdaMix": lambda ps: AdaMix(_roles(ps), lr=0.05, total_steps=8),
    "AdaMix grad_scale": lambda ps: AdaMix(_roles(ps), lr=0.05, K=0.5, total_steps=8, grad_scale=0.01),
    "AdaMix schedule": lambda ps: AdaMix(_roles(ps), lr=power_decay(0.05, 4), bias_lr=0.01, total_steps=8),
}
KERNEL = {"AdaMix": "adamix_weight"}


@needs_cc
@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_kernel_trajectories_equal_the_torch_code(name, fresh, one_thread, monkeypatch):
    kernel = KERNEL[name.split()[0]]
    _require(kernel)
    calls = _count_calls(monkeypatch, kernel)
    fused = _trajectory(OPTIMIZERS[name])
    assert calls[0] > 0, "the kernel was not used"
    monkeypatch.setenv("OPTIMBOOK_FUSED", "0")
    _fused._reset()
    plain = _trajectory(OPTIMIZERS[name])
    _bitwise_equal(fused[0], plain[0])
    for a, b in zip(fused[1], plain[1]):
        assert a.keys() == b.keys()
        _bitwise_equal(list(a.values()), list(b.values()))


@needs_cc
@pytest.mark.parametrize("label", ["AdaMix", "AdaMix+Cons"])
def test_the_experiments_strategies_are_unchanged_by_the_kernels(label, fresh, one_thread, monkeypatch):
    """fig4's strategies at paper scale (their own rules, PerRole) on a smaller network."""
    setup = adamix.SETUPS["paper"]
    strategy = {s.label: s for e in adamix.EXPERIMENTS.values() for s in e.strategies}[label]
    weight, bias = adamix.strategy_rules(strategy, setup, 10)

    def make(ps):
        return PerRole(ps, weight=weight, bias=bias)

    kernel = "adamix_weight"
    _require(kernel)
    calls = _count_calls(monkeypatch, kernel)
    fused = _trajectory(make)
    assert calls[0] > 0, "the kernel was not used"
    monkeypatch.setenv("OPTIMBOOK_FUSED", "0")
    _fused._reset()
    _bitwise_equal(fused[0], _trajectory(make)[0])


@needs_cc
def test_rbm_pretraining_is_unchanged_by_the_kernel(fresh, one_thread, monkeypatch):
    _require("momentum_decay")
    calls = _count_calls(monkeypatch, "momentum_decay")
    data = (torch.rand(300, 50, generator=torch.Generator().manual_seed(0)) > 0.6).float()

    def run():
        rbm = RBM(50, 40, generator=torch.Generator().manual_seed(1))
        errors = train_rbm(rbm, data, RBMTraining(epochs=7, batch_size=30))  # momentum changes at epoch 5
        return [rbm.W.clone(), rbm.b.clone(), rbm.c.clone()], errors

    fused, fused_errors = run()
    assert calls[0] == 7 * 10
    monkeypatch.setenv("OPTIMBOOK_FUSED", "0")
    _fused._reset()
    plain, plain_errors = run()
    _bitwise_equal(fused, plain)
    assert fused_errors == plain_errors


@pytest.mark.skipif(not (platform.system() == "Linux" and platform.machine() == "x86_64"
                         and shutil.which("cc")), reason="checked on Linux x86-64 with a C compiler (CI)")
def test_every_kernel_is_in_use_on_the_ci_platform(fresh):
    """Where CI runs (Linux, x86-64, gcc, the pinned torch), every kernel builds and agrees with
    torch's rounding; were one refused, the tests above would skip it, so this one says so."""
    assert _fused.status() == "in use"
    assert all(_fused.enabled(k) for k in ("adamix_weight", "momentum_decay"))


def test_turned_off_by_the_environment(fresh, one_thread, monkeypatch):
    monkeypatch.setenv("OPTIMBOOK_FUSED", "0")
    assert _fused.status() == "turned off (OPTIMBOOK_FUSED=0)"
    assert not _fused.usable("adamix_weight", [torch.zeros(3)])
    assert not any(fresh.iterdir())  # nothing was built


def test_without_a_compiler_the_torch_code_runs(fresh, one_thread, monkeypatch):
    monkeypatch.setenv("CC", "/nonexistent/cc")
    assert _fused.status().startswith("not built: no C compiler")
    assert not _fused.enabled("adamix_weight")
    p = torch.nn.Parameter(torch.ones(4, 3))
    p.grad = torch.full((4, 3), 2.0)
    AdaMix([{"params": [p], "role": "weight"}], lr=0.1, total_steps=5).step()
    expected = 1.0 - 0.1 / 5 ** 0.5 * 2.0  # α = η / sqrt(K + g²), θ − α g
    torch.testing.assert_close(p.detach(), torch.full((4, 3), expected))


@needs_cc
def test_a_damaged_library_is_built_again(fresh, one_thread):
    """A cached file that is not a loadable library (a crash of another writer, a disk error) is
    removed and built again."""
    library = _fused._target(_fused._compiler())
    library.parent.mkdir(parents=True, exist_ok=True)
    library.write_bytes(b"not a shared library")
    assert _fused.status().startswith("in use")
    assert library.read_bytes()[:4] == b"\x7fELF"


@needs_cc
def test_a_kernel_that_rounds_differently_from_torch_is_not_used(fresh, one_thread, monkeypatch):
    """The check on load compares each kernel with the torch code; here the 'torch code' is made
    to round the step differently (multiply then add, no fused multiply-add), so the AdaMix kernel
    must be refused and the others kept."""

    def unfused(params, grads, rates, *, K, grad_scale, step_scale):
        shrink = torch._foreach_mul(grads, grads)
        if grad_scale != 1.0:
            torch._foreach_mul_(shrink, grad_scale * grad_scale)
        torch._foreach_add_(shrink, K)
        torch._foreach_rsqrt_(shrink)
        torch._foreach_mul_(rates, shrink)
        for p, r, g in zip(params, rates, grads):
            p.add_((r * -step_scale) * g)

    monkeypatch.setattr(_fused, "_torch_adamix", unfused)
    assert not _fused.enabled("adamix_weight")
    assert "adamix_weight" in _fused.status()
    assert _fused.enabled("momentum_decay")


@needs_cc
def test_off_runs_the_torch_code_within_its_block(fresh, one_thread, monkeypatch):
    _require("adamix_weight")
    calls = _count_calls(monkeypatch, "adamix_weight")
    with _fused.off():
        assert not _fused.usable("adamix_weight", [torch.zeros(3)])
        _trajectory(OPTIMIZERS["AdaMix"], steps=2)
    assert calls[0] == 0
    assert _fused.usable("adamix_weight", [torch.zeros(3)])


@needs_cc
def test_the_book_counts_the_torch_code_and_says_what_it_timed(fresh, one_thread):
    """Chapter 7 counts the passes of the torch code (even with one thread, where AdaMix's weight
    update would run the kernel) and its timing records whether the kernels ran."""
    from optimbook.timing import kernel_counts, step_times

    _require("adamix_weight")
    rules = {"AdaMix": lambda ps: AdaMix(_roles(ps), lr=1e-3, total_steps=10)}
    assert kernel_counts(rules).loc["AdaMix", "kernels per weight"] == 5
    measured = step_times(rules, lambda: torch.nn.Sequential(torch.nn.Linear(8, 8)), torch.rand(4, 8),
                          repeats=2, warmup=1)
    assert measured.kernels == "in use"
    threads = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        assert step_times(rules, lambda: torch.nn.Sequential(torch.nn.Linear(8, 8)), torch.rand(4, 8),
                          repeats=2, warmup=1).kernels == "in use"  # it times with one thread
    finally:
        torch.set_num_threads(threads)


def test_more_than_one_thread_uses_the_torch_code(fresh):
    threads = torch.get_num_threads()
    try:
        torch.set_num_threads(2)
        assert not _fused.usable("adamix_weight", [torch.zeros(3)])
    finally:
        torch.set_num_threads(threads)


@needs_cc
def test_only_contiguous_float32_cpu_tensors(fresh, one_thread):
    _require("adamix_weight")
    assert _fused.usable("adamix_weight", [torch.zeros(4, 3)])
    assert not _fused.usable("adamix_weight", [torch.zeros(4, 3, dtype=torch.float64)])
    assert not _fused.usable("adamix_weight", [torch.zeros(4, 3).T])

    class Wrapped(torch.Tensor):  # a tensor subclass (as FSDP2's DTensor) may not own its data_ptr
        pass

    assert not _fused.usable("adamix_weight", [torch.zeros(4, 3).as_subclass(Wrapped)])
    assert _fused.usable("adamix_weight", [torch.nn.Parameter(torch.zeros(4, 3))])
    with pytest.raises(ValueError, match="shapes differ"):
        _fused.adamix_weight([torch.zeros(4)], [torch.zeros(5)], [torch.zeros(4)], K=1.0, grad_scale=1.0,
                             step_scale=1.0)


def test_momentum_step_is_the_formula():
    """inc ← m·inc + lr·grad − decay·param; param ← param + inc (the torch code, float64)."""
    p, inc, grad = (torch.tensor(v, dtype=torch.float64) for v in ([1.0, -2.0], [0.5, 0.25], [4.0, 8.0]))
    pretraining.momentum_step(p, inc, grad, momentum=0.5, lr=0.1, decay=0.01)
    torch.testing.assert_close(inc, torch.tensor([0.25 + 0.4 - 0.01, 0.125 + 0.8 + 0.02], dtype=torch.float64))
    torch.testing.assert_close(p, torch.tensor([1.0 + 0.64, -2.0 + 0.945], dtype=torch.float64))
