"""The floating-point work of a training run, by closed forms of its models, data sizes and steps
(never inferred from time). Every run of the book's machinery records the work it did, counted by
these functions, with the meter :mod:`optimlab.training.work` (a training loop: :func:`fit_run`; an
AdaMix run: :func:`pretraining_run` and :func:`finetuning_run`, also kept in its cache record);
:mod:`optimlab.cost.ledger` sums the records per chapter.

Counting conventions (each checked by ``tests/test_ledger.py`` and ``tests/test_cost_meter.py``
against :class:`torch.utils.flop_counter.FlopCounterMode` on real runs):

* **Matrix products** (``matmul``): ``2·m·n·k`` for every ``[m, k] @ [k, n]`` product, bias additions
  folded into ``addmm`` not counted (FlopCounterMode's convention).

  - A dense layer ``in → out`` costs ``2·in·out`` per example forward; training adds the weight
    gradient (``2·in·out``) and the input gradient (``2·in·out``) of every layer but the first
    (the data need no gradient): per example ``2Σ + 2Σ + 2(Σ − in₀·out₀)`` with ``Σ = Σ in·out``.
  - CD-1 on an RBM ``in → out`` (:meth:`optimlab.training.models.rbm.RBM.cd1`) does five products of the
    layer's size per example: ``v W``, ``h Wᵀ``, ``v' W``, ``vᵀ h``, ``v'ᵀ h'``, i.e. ``10·in·out``;
    passing the data upward to the next RBM costs ``2·in·out`` per example.
  - The deep autoencoder has the layers of the RBM stack and their mirror; each replica (strategy)
    of a lockstep group does its own products, so a group of k costs k single runs.
  - An evaluation (RER, test loss) is one forward pass over its images.

* **Element operations** (``elementwise``): the parameter updates only: optimizer steps and the RBM
  increments, one operation per element touched per aten operator. Optimizer counts are measured,
  not tabulated: :func:`update_ops_per_element` steps the real optimizer on two tensor sizes under a
  dispatch mode and takes the slope, on the rule's ``torch._foreach_*`` equations (a fused kernel,
  one operator that does the same arithmetic in one pass, counts as those equations). Activations, sampling, losses and reductions are not counted:
  they are O(N · Σ widths) per pass, under 1 % of the products at the widths here (≥ 100), though
  on a CPU they are memory-bound and can cost more time than that share.

    >>> from optimlab.training import flops
    >>> flops.dense_products((784, 1000, 500))    # 784·1000 + 1000·500
    1284000
    >>> flops.pretraining_run((784, 1000), 6000, 1, 100).matmul  # CD-1: 10·784·1000 per example
    47040000000
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import torch

from optimlab.runtime import check_number

__all__ = ["Count", "autoencoder_forward", "autoencoder_train", "cd1", "classifier_run",
           "dense_products", "finetuning_run", "fit_run", "linear_layers", "mlp_forward", "mlp_train",
           "optimizer_update_ops", "pretraining_run", "update_ops_per_element"]


# ----------------------------------------------------------------------------------- closed forms
@dataclass(frozen=True)
class Count:
    """Floating-point work: ``matmul`` (matrix products) and ``elementwise`` (parameter updates)."""

    matmul: float = 0.0
    elementwise: float = 0.0

    @property
    def total(self) -> float:
        return self.matmul + self.elementwise

    def __add__(self, other: Count) -> Count:
        return Count(self.matmul + other.matmul, self.elementwise + other.elementwise)

    def __mul__(self, k: float) -> Count:
        return Count(self.matmul * k, self.elementwise * k)

    __rmul__ = __mul__

    def to_record(self) -> dict[str, float]:
        """``{"total": …, "matmul": …}``: the form a run's record stores (JSON)."""
        return {"total": self.total, "matmul": self.matmul}

    @classmethod
    def from_record(cls, record: dict[str, float]) -> Count:
        """The inverse of :meth:`to_record`; raises ``ValueError`` for a record that is not one."""
        try:
            total, matmul = float(record["total"]), float(record["matmul"])
        except (KeyError, TypeError, ValueError) as err:
            raise ValueError(f"record must be {{'total': float, 'matmul': float}}, got {record!r}") from err
        if not (0.0 <= matmul <= total):
            raise ValueError(f"record must have 0 <= matmul <= total, got {record!r}")
        return cls(matmul, total - matmul)


def dense_products(sizes: Sequence[int]) -> int:
    """Σ in·out over the layers ``sizes[0] → sizes[1] → …``."""
    return sum(a * b for a, b in zip(sizes[:-1], sizes[1:]))


def mlp_forward(sizes: Sequence[int], n: int) -> int:
    """Products of a forward pass of ``n`` examples through dense layers ``sizes``."""
    return 2 * n * dense_products(sizes)


def mlp_train(sizes: Sequence[int], n: int) -> int:
    """Products of forward and backward passes over ``n`` examples (any batching): forward, weight
    gradients, and input gradients of every layer but the first."""
    s = dense_products(sizes)
    return 2 * n * (3 * s - sizes[0] * sizes[1])


def _unrolled(sizes: Sequence[int]) -> list[int]:
    """784-1000-500-250-30 → 784-1000-500-250-30-250-500-1000-784."""
    return list(sizes) + list(sizes[-2::-1])


def autoencoder_forward(sizes: Sequence[int], n: int, replicas: int = 1) -> int:
    """Products of the unrolled autoencoder of the RBM stack ``sizes`` on ``n`` examples."""
    return replicas * mlp_forward(_unrolled(sizes), n)


def autoencoder_train(sizes: Sequence[int], n: int, replicas: int = 1) -> int:
    """Products of fine-tuning steps over ``n`` examples (forward and backward, every replica)."""
    return replicas * mlp_train(_unrolled(sizes), n)


def cd1(n_visible: int, n_hidden: int, n: int) -> int:
    """Products of CD-1 over ``n`` examples: five of the layer's size per example."""
    return 10 * n * n_visible * n_hidden


def rbm_update_ops(n_visible: int, n_hidden: int) -> int:
    """Element operations of one increment of :func:`optimlab.training.pretraining.train_rbm`: W takes four
    (momentum, gradient, weight cost, add), each bias three (momentum, gradient, add)."""
    return 4 * n_visible * n_hidden + 3 * (n_visible + n_hidden)


# --------------------------------------------------------------------------- optimizer update work
_MOVES = frozenset({
    "detach", "view", "_unsafe_view", "t", "transpose", "expand", "alias", "clone", "copy_",
    "_to_copy", "empty", "empty_like", "empty_strided", "zeros_like", "ones_like", "full_like",
    "zeros", "ones", "full", "new_zeros", "new_empty", "new_empty_strided", "fill_", "zero_",
    "lift_fresh", "_local_scalar_dense", "select", "slice", "unsqueeze", "squeeze", "reshape",
    "as_strided", "is_nonzero", "_foreach_copy_", "_foreach_zero_", "stack", "cat", "flatten",
    "is_same_size", "resize_", "set_", "_has_compatible_shallow_copy_type", "item", "equal",
    "scalar_tensor", "_foreach_clone",
})


def _numel(x: Any) -> int:
    if isinstance(x, torch.Tensor):
        return x.numel()
    if isinstance(x, (list, tuple)):
        return sum(t.numel() for t in x if isinstance(t, torch.Tensor))
    return 0


def _count_ops(fn) -> int:
    """Σ over the aten operators ``fn`` calls (data movement excluded) of the elements of their
    first argument."""
    from torch.utils._python_dispatch import TorchDispatchMode

    class _Counter(TorchDispatchMode):
        def __init__(self):
            super().__init__()
            self.total = 0

        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            if func.overloadpacket.__name__ not in _MOVES and args:
                self.total += _numel(args[0])
            return func(*args, **(kwargs or {}))

    with _Counter() as counter:
        fn()
    return counter.total


def _rule_key(rule: Any) -> Hashable:
    if rule is None:
        return None
    return (rule.optimizer.__name__, tuple(sorted((k, repr(v)) for k, v in dict(rule.kwargs).items())),
            tuple(sorted((k, repr(v)) for k, v in dict(rule.group).items())))


def update_ops_per_element(rule: Any, role: str = "weight") -> float:
    """Element operations per parameter element of one step of ``rule`` (an
    :class:`optimbook.optim.per_role.Rule`, an optimizer class, or ``None`` for frozen) on a weight
    (``role="weight"``, a matrix) or a bias (a vector). Measured: the optimizer steps on two tensor
    sizes under a dispatch mode (after a first step that creates its state); the slope is the count.
    """
    from optimbook.optim.per_role import _as_rule

    rule = _as_rule("rule", rule)
    return _update_ops(_rule_key(rule), rule, role)


class _Equations(torch.Tensor):
    """A plain tensor by another type: torch's fused optimizer kernels do not take it, so an optimizer
    steps it with its ``torch._foreach_*`` equations, whose operators can be counted one by one."""


@lru_cache(maxsize=None)
def _update_ops_cached(key: Hashable, role: str, rule_holder: tuple) -> float:
    rule = rule_holder[0]
    if rule is None:
        return 0.0
    counts = []
    for size in (64, 128):
        shape = (size, 8) if role == "weight" else (size * 8,)
        g = torch.Generator().manual_seed(0)
        p = torch.randn(shape, generator=g).as_subclass(_Equations).requires_grad_()
        kwargs = dict(rule.kwargs)
        for name in ("lr", "bias_lr"):  # the operators do not depend on a number's value; a huge
            value = kwargs.get(name)    # one would overflow the probe (a diverging run is counted too)
            if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 1.0:
                kwargs[name] = 1.0
        if kwargs.get("fused"):  # torch.optim's fused=True: count its foreach equations
            kwargs.update(fused=False, foreach=True)
        if kwargs.get("compile"):  # a compiled update (AdaMix's): count its eager equations, and
            kwargs["compile"] = False  # leave the process's compiled graphs to the real tensors
        opt = rule.optimizer([{"params": [p], **dict(rule.group)}], **kwargs)
        p.grad = torch.randn(shape, generator=g) * 1e-2
        opt.step()
        counts.append(_count_ops(opt.step))
    return (counts[1] - counts[0]) / (64 * 8)


class _Holder(tuple):
    """A tuple that hashes by a key, so unhashable rules can ride through the cache."""

    def __new__(cls, rule, key):
        self = super().__new__(cls, (rule,))
        self._key = key
        return self

    def __hash__(self):
        return hash(self._key)

    def __eq__(self, other):
        return isinstance(other, _Holder) and self._key == other._key


def _update_ops(key: Hashable, rule: Any, role: str) -> float:
    return _update_ops_cached(key, role, _Holder(rule, key))


def _params(sizes: Sequence[int]) -> tuple[int, int]:
    """(weight elements, bias elements) of dense layers ``sizes``."""
    return dense_products(sizes), sum(sizes[1:])


# -------------------------------------------------------------------------------------- whole runs
def pretraining_run(sizes: Sequence[int], n_train: int, epochs: int, batch_size: int) -> Count:
    """Greedy CD-1 pretraining of the RBM stack ``sizes`` (:func:`optimlab.training.pretraining.pretrain_stack`)
    on ``n_train`` examples: every layer's CD-1 and increments for ``epochs`` epochs, and the upward
    pass that makes the next layer's data."""
    steps = epochs * math.ceil(n_train / batch_size)
    matmul = sum(cd1(a, b, n_train) * epochs for a, b in zip(sizes[:-1], sizes[1:]))
    matmul += sum(mlp_forward((a, b), n_train) for a, b in zip(sizes[:-2], sizes[1:-1]))
    elementwise = steps * sum(rbm_update_ops(a, b) for a, b in zip(sizes[:-1], sizes[1:]))
    return Count(matmul, elementwise)


def finetuning_run(sizes: Sequence[int], n_train: int, n_test: int, epochs: int, batch_size: int,
                   evaluations: int, weight_ops: float = 0.0, bias_ops: float = 0.0) -> Count:
    """One strategy's fine-tuning (:func:`optimlab.training.finetuning.finetune`): ``epochs`` passes over
    ``n_train`` images, ``evaluations`` RER passes over the training and test images, and the
    optimizer's ``weight_ops``/``bias_ops`` element operations per element and step."""
    full = _unrolled(sizes)
    steps = epochs * math.ceil(n_train / batch_size)
    n_w, n_b = _params(full)
    matmul = epochs * mlp_train(full, n_train) + evaluations * mlp_forward(full, n_train + n_test)
    return Count(matmul, steps * (n_w * weight_ops + n_b * bias_ops))


def classifier_run(sizes: Sequence[int], n_train: int, epochs: int, batch_size: int, *,
                   eval_examples: int = 0, evaluations: int = 0, ops_per_element: float = 0.0,
                   extra_examples: int = 0) -> Count:
    """An MLP trained by :func:`optimlab.training.loop.fit`: ``epochs`` passes over ``n_train`` examples
    (plus ``extra_examples`` more, e.g. a warm-up), ``evaluations`` forward passes over
    ``eval_examples`` examples, and ``ops_per_element`` optimizer element operations per parameter
    and step (all parameters alike)."""
    examples = epochs * n_train + extra_examples
    steps = epochs * math.ceil(n_train / batch_size) + (math.ceil(extra_examples / batch_size) if extra_examples else 0)
    n_w, n_b = _params(sizes)
    return Count(mlp_train(sizes, examples) + evaluations * mlp_forward(sizes, eval_examples),
                 steps * (n_w + n_b) * ops_per_element)


def linear_layers(model: torch.nn.Module) -> list[tuple[int, int]]:
    """``(in, out)`` of every :class:`torch.nn.Linear` of ``model``, in registration order."""
    return [(m.in_features, m.out_features) for m in model.modules() if isinstance(m, torch.nn.Linear)]


def _constructor_kwargs(cls: type) -> set[str] | None:
    """The keyword arguments ``cls(params, ...)`` accepts (None: any, it takes ``**kwargs``)."""
    import inspect

    params = inspect.signature(cls.__init__).parameters.values()
    if any(p.kind is p.VAR_KEYWORD for p in params):
        return None
    return {p.name for p in params} - {"self", "params"}


def optimizer_update_ops(optimizer: torch.optim.Optimizer) -> float:
    """Element operations of one step of ``optimizer`` over all its parameters: each param group's
    rule (its class and the group's settings; a :class:`~optimbook.optim.per_role.PerRole` optimizer's rule
    per role, none for a frozen role) at :func:`update_ops_per_element` per element."""
    from optimbook.optim.per_role import Rule

    rules, children = getattr(optimizer, "rules", None), getattr(optimizer, "children", None)
    per_role = isinstance(rules, dict) and isinstance(children, dict)
    accepted = None if per_role else _constructor_kwargs(type(optimizer))
    total = 0.0
    for group in optimizer.param_groups:
        if per_role:
            if group.get("frozen"):
                continue
            rule = rules[group["per_role"]]
        else:
            settings = {k: v for k, v in group.items() if k != "params"}
            kwargs = {k: v for k, v in settings.items() if accepted is None or k in accepted}
            rule = Rule(type(optimizer), kwargs, group={k: v for k, v in settings.items() if k not in kwargs})
        for p in group["params"]:
            role = group["per_role"] if per_role else ("weight" if p.dim() >= 2 else "bias")
            total += p.numel() * update_ops_per_element(rule, role)
    return total


def fit_run(model: torch.nn.Module, optimizer: torch.optim.Optimizer, n: int, batch_size: int, steps: int, *,
            drop_last: bool = False) -> Count:
    """The training work of :func:`optimlab.training.loop.fit` after ``steps`` steps over ``n``
    examples in batches of ``batch_size`` (every epoch's batches full but its last, which
    ``drop_last`` drops): forward and backward passes of ``model``'s dense layers over the examples
    trained on (:func:`mlp_train`: exact for a chain of dense layers, the book's models; a model
    without one, e.g. a point on a 2-D function, does no matrix products), and ``steps`` steps of
    :func:`optimizer_update_ops`. Evaluations are the caller's (their data are not ``fit``'s)."""
    check_number("n", n, low=0, integer=True)
    check_number("batch_size", batch_size, low=1, integer=True)
    check_number("steps", steps, low=0, integer=True)
    per_epoch_steps = n // batch_size if drop_last else math.ceil(n / batch_size)
    if steps and not per_epoch_steps:
        raise ValueError(f"steps must be 0 when an epoch has no batch (n={n}, batch_size={batch_size}), got {steps}")
    full, partial = divmod(steps, per_epoch_steps) if per_epoch_steps else (0, 0)
    examples = full * (per_epoch_steps * batch_size if drop_last else n) + partial * batch_size
    layers = linear_layers(model)
    matmul = 0
    if layers:
        products = sum(a * b for a, b in layers)
        matmul = 2 * examples * (3 * products - layers[0][0] * layers[0][1])
    return Count(matmul, steps * optimizer_update_ops(optimizer) if steps else 0.0)

