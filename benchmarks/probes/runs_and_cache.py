"""Probe of issue 20's run cases: bad environment variables (CLI), damaged cache entries (runner),
kill -9 of `optimbook run ... --workers 2` at three moments; each counted clear / unclear / silent.

    python benchmarks/probes/runs_and_cache.py   (a few minutes; prints one JSON line of counts)
"""
import io, json, os, re, signal, subprocess, sys, tempfile, time, warnings, contextlib
from dataclasses import replace
from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests"))
ROOT = Path(__file__).resolve().parents[2]
counts = {}
def tally(kind, verdict): counts.setdefault(kind, {"clear": 0, "unclear": 0, "silent": 0})[verdict] += 1

# --- env vars
from optimlab.__main__ import main
from optimlab.experiments import adamix
real_run, real_exec = adamix.run, adamix.execute
adamix.run = adamix.execute = lambda *a, **k: (_ for _ in ()).throw(RuntimeError("work started"))
os.environ["OPTIMBOOK_RESULTS"] = tempfile.mkdtemp()
for var, values in {"OPTIMBOOK_WORKERS": ["abc", "0", "-1", "2.5", "1e3", " ", "nan"],
                    "OPTIMBOOK_CHECKPOINT_SECONDS": ["abc", "-1", "nan", "-inf", "1,5", "x1"],
                    "OPTIMBOOK_KILL_AFTER_EPOCH": ["abc", "0", "-2"]}.items():
    for v in values:
        os.environ[var] = v
        err = io.StringIO()
        try:
            with contextlib.redirect_stderr(err):
                rc = main(["run", "fig4", "--scale", "smoke", "--device", "cpu"])
        except Exception as e:
            rc, msg = None, repr(e)
        else:
            msg = err.getvalue()
        del os.environ[var]
        if v.strip() == "" and rc != 2:  # empty = unset: accepted, then work starts
            tally("env", "clear" if "work started" in msg or rc is None else "unclear"); continue
        if rc == 2 and var in msg and len(msg.splitlines()) == 1 and re.search(r">=|range|integer|number", msg):
            tally("env", "clear")
        elif rc == 2:
            tally("env", "unclear"); print("unclear", var, v, msg)
        else:
            tally("env", "silent"); print("silent", var, v, rc, msg)
adamix.run, adamix.execute = real_run, real_exec

# --- damaged entries
from optimlab.experiments.adamix import SETUPS
from optimlab.storage import CorruptFileWarning, atomic_torch_save
import torch
TINY = replace(SETUPS["smoke"], sizes=(784, 64, 32, 16, 8), fraction_scale=0.02, epochs=4, eval_every=2)
root = Path(tempfile.mkdtemp()); os.environ["OPTIMBOOK_RESULTS"] = str(root)
run = lambda **k: adamix.run("fig5", scale="smoke", setup=TINY, device="cpu", workers=1, **k)
good = run().drop(columns="seconds")
def rec(f):
    def d(p):
        r = json.loads(p.read_text()); f(r); p.write_text(json.dumps(r))
    return d
def pt(f):
    return lambda p: f(p.with_suffix(".pt"))
damages = {
    "json cut": lambda p: p.write_text(p.read_text()[:40]), "json empty file": lambda p: p.write_text(""),
    "json not utf8": lambda p: p.write_bytes(b"\xff\xfe"), "json a list": lambda p: p.write_text("[]"),
    "records empty": rec(lambda r: r.__setitem__("records", [])), "no epoch": rec(lambda r: r["records"][-1].pop("epoch")),
    "no records": rec(lambda r: r.pop("records")), "rer null": rec(lambda r: r["records"][1].__setitem__("test_rer", None)),
    "rer inf": rec(lambda r: r["records"][1].__setitem__("test_rer", float("inf"))),
    "epochs shuffled": rec(lambda r: r["records"].reverse()), "no wall": rec(lambda r: r.pop("wall_seconds")),
    "replicas 0": rec(lambda r: r.__setitem__("replicas", 0)), "no pretraining": rec(lambda r: r.pop("pretraining")),
    "foreign key": rec(lambda r: r["key"].__setitem__("fraction", 0.3)), "no flop": rec(lambda r: r.pop("flop")),
    "pt bit flip": pt(lambda q: q.write_bytes(bytes(b ^ (0x10 if i == len(q.read_bytes()) // 2 else 0) for i, b in enumerate(q.read_bytes())))),
    "pt truncated": pt(lambda q: q.write_bytes(q.read_bytes()[:500])), "pt missing": pt(lambda q: q.unlink()),
    "pt empty": pt(lambda q: q.write_bytes(b"")), "pt wrong shapes": pt(lambda q: atomic_torch_save(q, {"state": {}, "activations": []})),
    "json missing (orphan pt)": lambda p: p.unlink(),
}
for name, damage in damages.items():
    path = sorted((root / "smoke" / "runs").glob("*.json"))[0]
    damage(path)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        try:
            again = run().drop(columns="seconds"); ok = again.equals(good); err = None
        except Exception as e:
            ok, err = False, e
    named = any(issubclass(x.category, CorruptFileWarning) and path.stem in str(x.message) for x in w)
    whole = path.is_file() and path.with_suffix(".pt").is_file()
    if ok and named and whole: tally("entries", "clear")
    elif err is not None or not whole: tally("entries", "unclear"); print("unclear", name, err, whole)
    else: tally("entries", "silent"); print("silent", name)
    for p in (root / "smoke" / "runs").glob("*.corrupt"): p.unlink()

# --- kills
from test_runs_orphans import children, _stat, written
for when in ("workers started", "first stack", "first run"):
    res = Path(tempfile.mkdtemp()) / "r"
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "OPTIMBOOK_RESULTS": str(res)}
    p = subprocess.Popen([sys.executable, "-m", "optimlab", "run", "fig8", "--scale", "smoke", "--device", "cpu", "--workers", "2"],
                         env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    kids = set(); t0 = time.monotonic()
    while p.poll() is None and time.monotonic() - t0 < 120:
        kids |= children(p.pid)
        if when == "workers started" and len(kids) >= 3: break
        if when == "first stack" and any((res / "smoke" / "pretrained").glob("*.pt")): break
        if when == "first run" and any((res / "smoke" / "runs").glob("*.json")): break
        time.sleep(0.01)
    if p.poll() is not None: print("ended before kill", when); continue
    os.kill(p.pid, signal.SIGKILL); p.wait(); before = written(res)
    t1 = time.monotonic()
    while {k for k in kids if _stat(k) is not None} and time.monotonic() - t1 < 30: time.sleep(0.1)
    print("kill", when, "gone after", round(time.monotonic() - t1, 2), "s")
    time.sleep(3); alive = {k for k in kids if _stat(k) is not None}; after = written(res)
    for k in alive: os.kill(k, signal.SIGKILL)
    tally("kills", "clear" if not alive and after == before else "silent")
    if alive or after != before: print("kill", when, alive, after - before)
    # rerun finishes and matches
    r2 = subprocess.run([sys.executable, "-m", "optimlab", "run", "fig8", "--scale", "smoke", "--device", "cpu", "--workers", "2"], env=env, capture_output=True, text=True)
    if r2.returncode != 0: print("rerun failed", when, r2.stderr[-500:]); tally("kills", "unclear")
print(json.dumps(counts))
