"""Probe for issue 20's optimizer cases: bad state dicts, rates changed after construction, failed
steps. Each case: clear (ValueError naming the thing, nothing changed), unclear (another error, or
a message that names nothing, or something changed), silent (no error).

    python benchmarks/probes/optimizer_state.py
"""
import copy, math, collections
import torch
from optimbook import optim as O
from optimbook.optim import Rule
from optimbook.testing import REGISTRY, configs

def params():
    g = torch.Generator().manual_seed(0)
    return [torch.randn(s, generator=g, dtype=torch.float64).requires_grad_() for s in [(5, 4), (5,), (3, 5), (3,)]]

def grad(ps):
    for p in ps: p.grad = None
    W1, b1, W2, b2 = ps
    x = torch.randn(8, 4, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    (torch.tanh(x @ W1.T + b1) @ W2.T + b2).pow(2).mean().backward()

def train(opt, ps, n=3):
    for _ in range(n):
        grad(ps); opt.step()

def snap(opt, ps):
    sd = opt.state_dict()
    return copy.deepcopy(({k: v for k, v in sd.items() if k != "param_groups"}, [p.detach().clone() for p in ps]))

def eq(a, b):
    if isinstance(a, torch.Tensor): return isinstance(b, torch.Tensor) and a.shape == b.shape and torch.equal(a.nan_to_num(), b.nan_to_num())
    if isinstance(a, dict): return isinstance(b, dict) and a.keys() == b.keys() and all(eq(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)): return len(a) == len(b) and all(eq(x, y) for x, y in zip(a, b))
    return a == b or (a != a and b != b)

counts = collections.Counter(); bad = []
def case(kind, label, fn, opt, ps, words):
    before = snap(opt, ps)
    try:
        fn()
    except ValueError as err:
        msg = str(err)
        ok = all(w in msg for w in words) and eq(before, snap(opt, ps))
        counts[(kind, "clear" if ok else "unclear")] += 1
        if not ok: bad.append((kind, label, "unclear", msg[:150]))
        return
    except Exception as err:
        counts[(kind, "unclear")] += 1; bad.append((kind, label, type(err).__name__, str(err)[:150])); return
    counts[(kind, "silent")] += 1; bad.append((kind, label, "silent", ""))

infos = list(REGISTRY.values())
# -- bad state dicts -----------------------------------------------------------------------------
for info in infos:
    ps = params(); opt = info.make(ps); train(opt, ps); good = opt.state_dict()
    for label, sd, words in [("{}", {}, ["state"]), ("no state", {"param_groups": good["param_groups"]}, ["'state'"]),
                             ("no param_groups", {"state": good["state"]}, ["param_groups"])]:
        case("state dict", f"{info.name} {label}", lambda sd=sd: opt.load_state_dict(sd), opt, ps, words)
    for v in (-1.0, math.nan, "0.1"):
        sd = copy.deepcopy(good); sd["param_groups"][0]["lr"] = v
        case("state dict", f"{info.name} lr={v!r}", lambda sd=sd: opt.load_state_dict(sd), opt, ps, ["lr", "group 0"])
    two_ps = params()
    try:
        two = info.make([{"params": two_ps[:2]}, {"params": two_ps[2:]}]) if info.name != "PerRole" else None
    except Exception:
        two = None
    if two is not None:
        train(two, two_ps)
        case("state dict", f"{info.name} 2 groups into 1", lambda: opt.load_state_dict(two.state_dict()), opt, ps, ["param groups"])
    for k, s in good["state"].items():
        for name, v in s.items():
            if isinstance(v, torch.Tensor) and v.ndim >= 1:
                sd = copy.deepcopy(good); sd["state"][k][name] = torch.zeros(2, 2, dtype=torch.float64)
                case("state dict", f"{info.name} state[{k}][{name}] shape", lambda sd=sd: opt.load_state_dict(sd), opt, ps, [name, "shape"])
                break
        break
pairs = [("Adam", "SGD"), ("Nadam", "Adam"), ("AdamW", "Adam"), ("AMSGrad", "Adam"), ("Adam", "AMSGrad"),
         ("SGD", "Momentum"), ("AdaGrad", "AdaDec"), ("AdaDec", "AdaGrad"), ("AdaGrad", "AdaMix"), ("RMSProp", "Adadelta"),
         ("Adadelta", "RMSProp"), ("Adam", "Nadam"), ("Momentum", "Nesterov"), ("NaturalGradient", "SGD"), ("SGD", "NaturalGradient"),
         ("AdaMix", "AdaGrad"), ("PerRole", "SGD"), ("SGD", "PerRole"), ("Adam", "AdamW"), ("Nadam", "AdamW")]
for src, dst in pairs:
    for tagged in (True, False):
        a_ps = params(); a = REGISTRY[src].make(a_ps); train(a, a_ps)
        ps = params(); opt = REGISTRY[dst].make(ps); train(opt, ps)
        sd = a.state_dict()
        if not tagged:
            sd.pop("optimizer", None)
            if {src, dst} == {"Momentum", "Nesterov"}:
                continue  # the same structure: cannot be told apart without the tag (documented)
        case("state dict", f"{src}->{dst}{'' if tagged else ' (untagged)'}", lambda sd=sd: opt.load_state_dict(sd), opt, ps, [])
for info in infos:
    if not info.torch_counterpart: continue
    r = params(); theirs = info.default.oracle(r); train(theirs, r)
    ps = params(); opt = info.make(ps); train(opt, ps)
    case("state dict", f"torch.optim {info.name}->{info.name}", lambda: opt.load_state_dict(theirs.state_dict()), opt, ps, [])
bp = params(); both = O.PerRole(bp, weight=Rule(O.SGD, {"lr": 0.1}), bias=Rule(O.SGD, {"lr": 0.1})); train(both, bp)
ps = params(); w = O.PerRole([ps[0], ps[2]], weight=Rule(O.SGD, {"lr": 0.1}), bias=None)
case("state dict", "PerRole w+b -> w-only", lambda: w.load_state_dict(both.state_dict()), w, ps, [])
sd = {k: v for k, v in both.state_dict().items() if k != "optimizer"}
case("state dict", "PerRole w+b -> w-only (untagged)", lambda: w.load_state_dict(sd), w, ps, ["param groups"])

# -- rates changed after construction ---------------------------------------------------------------
for info, config in configs():
    for v in (math.nan, -1.0, math.inf):
        for form in ("tensor", "number"):
            ps = params(); opt = info.make(ps, config); train(opt, ps, 2)
            g = next(g for g in opt.param_groups if not g.get("frozen"))
            if form == "tensor" and isinstance(g["lr"], torch.Tensor):
                g["lr"] = g["lr"].clone()  # the registry's tensor is shared by its configs
                g["lr"].fill_(v)
            elif form == "tensor":
                g["lr"] = torch.tensor(v, dtype=torch.float64)
            else:
                g["lr"] = v
            grad(ps)
            case("rate after construction", f"{config.name} {form} lr={v}", opt.step, opt, ps, ["lr", "group"])

# -- failed steps: a bad schedule in the second group / the bias rule / bias_lr -----------------------
for info, config in configs():
    if info.name == "PerRole": continue
    ps = params()
    groups = config.groups(ps) if config.groups else [{"params": ps}]
    extra = {k: v for k, v in groups[0].items() if k != "params"}
    opt = info.cls([{"params": ps[:2], **extra}, {"params": ps[2:], **extra}], **config.kwargs)
    train(opt, ps, 2)
    opt.param_groups[1]["lr"] = lambda t: math.nan
    grad(ps)
    case("failed step", f"{config.name} group 2 schedule NaN", opt.step, opt, ps, ["lr", "group 1", "step"])
for wrule in (Rule(O.AdaGrad, {"lr": 0.1}), Rule(torch.optim.SGD, {"lr": 0.1}), Rule(O.SGD, {"lr": lambda t: 0.1})):
    for brule in (Rule(O.SGD, {"lr": lambda t: 0.1 if t < 2 else math.nan}), Rule(torch.optim.SGD, {"lr": lambda t: 0.1 if t < 2 else math.nan})):
        ps = params(); opt = O.PerRole(ps, weight=wrule, bias=brule); train(opt, ps, 2); grad(ps)
        case("failed step", f"PerRole {wrule.optimizer.__module__.split('.')[0]}.{wrule.optimizer.__name__} + bias schedule ({brule.optimizer.__module__.split('.')[0]})", opt.step, opt, ps, ["lr", "group 1", "step 2"])
ps = params(); opt = O.AdaMix(ps, lr=0.05, bias_lr=lambda t: 0.1 if t < 2 else math.nan); train(opt, ps, 2); grad(ps)
case("failed step", "AdaMix bias_lr schedule", opt.step, opt, ps, ["bias_lr", "step 2"])
ps = params(); opt = O.NaturalGradient([{"params": ps[:2]}, {"params": ps[2:]}], lr=0.05); train(opt, ps, 2)
opt.param_groups[1]["lr"] = math.nan; grad(ps)
case("failed step", "NaturalGradient group 2 NaN (Fisher fed?)", opt.step, opt, ps, ["lr", "group 1"])

for kind in ("state dict", "rate after construction", "failed step"):
    print(f"{kind:<24} clear {counts[(kind, 'clear')]:4d}  unclear {counts[(kind, 'unclear')]:3d}  silent {counts[(kind, 'silent')]:3d}")
for b in bad[:40]:
    print(b)
