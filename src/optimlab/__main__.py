"""Command line: ``python -m optimlab run fig4 --scale paper [--seeds 0 1 2] [--device cuda]``.

Runs one of He & Li's experiments (fig4 … fig8, ``all`` for those five, or one of the book's own),
reusing finished runs from the cache, and writes ``results/<scale>/<experiment>.csv``.

Every user error (an unknown experiment or device, a seed outside [0, 2**63 - 1], ``--workers``
below 1, an environment variable out of its range — ``OPTIMBOOK_WORKERS``,
``OPTIMBOOK_CHECKPOINT_SECONDS``, ``OPTIMBOOK_KILL_AFTER_EPOCH`` —, a folder the run writes that
cannot be written, MNIST missing or damaged) is reported as one line on stderr with exit status 2,
before any work starts.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import NoReturn

PROG = "python -m optimlab"
SEED_MAX = 2**63 - 1


class UsageError(Exception):
    """A user error: printed as one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # argparse prints the usage too: one line instead
        raise UsageError(f"{self.prog}: error: {message}")


def _seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"seeds must be integers in [0, {SEED_MAX}], got {text!r}"
        ) from None
    if not 0 <= value <= SEED_MAX:
        raise argparse.ArgumentTypeError(f"seeds must be integers in [0, {SEED_MAX}], got {text}")
    return value


def _workers(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"workers must be an integer >= 1, got {text!r}")
    return value


def experiment_choices(adamix) -> list[str]:
    """Every experiment the runner knows, from its registry, then ``all`` (the paper's five)."""
    names = getattr(adamix, "experiment_names", None)
    known = list(names()) if names is not None else (
        sorted(adamix.EXPERIMENTS) + sorted(getattr(adamix, "EXTRA_EXPERIMENTS", {}))
    )
    return known + ["all", "book", "translation"]


def parser(choices: list[str]) -> argparse.ArgumentParser:
    top = _Parser(prog=PROG, description=__doc__.splitlines()[0])
    sub = top.add_subparsers(dest="command", required=True, parser_class=_Parser)
    run = sub.add_parser("run", help="run an experiment (the AdaMix paper's, or the survey's translation) and write its CSV")
    run.add_argument("experiment", choices=choices,
                     help="'all' runs the paper's five experiments (fig4 … fig8) as one schedule;"
                          " 'book' makes every run the replication report reads (every experiment under every"
                          " reading with several seeds, the explanations of the values we miss) and the"
                          " 'beyond' comparison, as one schedule, into the cache")
    run.add_argument("--scale", choices=("smoke", "paper"), default="paper")
    run.add_argument("--seeds", type=_seed, nargs="+", default=[0],
                     help=f"training seeds in [0, {SEED_MAX}]; repeated seeds count once")
    run.add_argument("--device", default="auto", help="'auto' (CUDA when available), 'cpu', 'cuda[:N]'")
    run.add_argument("--no-cache", action="store_true", help="recompute even finished runs")
    run.add_argument("--corpus", default=None, metavar="PATH",
                     help="translation only: an eng-fra.txt-style file (English<TAB>French per line) in"
                          " place of the generated corpus")
    run.add_argument("--readings", nargs="+", default=None, metavar="NAME",
                     help="the AdaMix experiments only: 'all' (every reading of the paper's ambiguities)"
                          " or reading names; default: each experiment's own (the default reading)")
    run.add_argument("--workers", type=_workers, default=None,
                     help="processes for independent runs, >= 1 (default: one per core at paper"
                          " scale on CPU)")
    return top


def _environment() -> None:
    """The environment variables a run reads, checked now rather than when the run reaches them."""
    import os

    from optimlab.experiments.adamix.runner import workers_from_env
    from optimlab.training.finetuning import checkpoint_interval

    try:
        workers_from_env()
    except ValueError as err:
        raise UsageError(f"{PROG} run: error: {err}") from None
    env = os.environ.get("OPTIMBOOK_CHECKPOINT_SECONDS")
    try:
        checkpoint_interval()
    except (ValueError, TypeError) as err:
        message = str(err)
        if "OPTIMBOOK_CHECKPOINT_SECONDS" not in message:  # float() names only the text
            message = f"OPTIMBOOK_CHECKPOINT_SECONDS must be a number of seconds >= 0, got {env!r}"
        raise UsageError(f"{PROG} run: error: {message}") from None
    kill = os.environ.get("OPTIMBOOK_KILL_AFTER_EPOCH")  # fault injection of the resume test
    if kill is not None and not (kill.strip().isdigit() and int(kill) >= 1):
        raise UsageError(f"{PROG} run: error: OPTIMBOOK_KILL_AFTER_EPOCH must be an integer >= 1, got {kill!r}")


def readings_of(names: list[str] | None, experiment: str):
    """The readings ``--readings`` names: ``None`` (each experiment's own), ``'all'`` (every one), or
    the named ones in the order given; ``UsageError`` (one line) naming the choices otherwise."""
    from optimlab.experiments.adamix import READINGS

    if names is None:
        return None
    if experiment in ("translation", "book"):
        raise UsageError(f"{PROG} run: error: --readings is not used by '{experiment}'"
                         + (" (it makes every reading)" if experiment == "book" else ""))
    known = {r.name: r for r in READINGS}
    if names == ["all"]:
        return READINGS
    unknown = [n for n in names if n not in known]
    if unknown:
        raise UsageError(f"{PROG} run: error: --readings must be 'all' or among {list(known)}, got {unknown}")
    return tuple(known[n] for n in dict.fromkeys(names))


def preflight(args: argparse.Namespace) -> None:
    """Check everything a run needs before it starts; ``UsageError`` (one line) if not."""
    from optimlab.training.data import MNISTCorruptError, MNISTNotFoundError, check_mnist
    from optimlab.experiments.adamix.runner import writable_folders
    from optimlab.experiments.cache import check_writable
    from optimlab.runtime import check_device

    try:
        check_device(args.device)
    except ValueError as err:
        raise UsageError(f"{PROG} run: error: --{err}") from None
    _environment()
    for folder in writable_folders(args.scale):  # the CSVs, the runs, the stacks, the checkpoints
        try:
            check_writable(folder)
        except PermissionError as err:
            raise UsageError(f"{PROG} run: error: {err}") from None
    if args.experiment == "translation":  # needs no MNIST; a given corpus must exist
        if args.corpus is not None and not Path(args.corpus).is_file():
            raise UsageError(f"{PROG} run: error: --corpus: no file at {args.corpus}")
        return
    if args.corpus is not None:
        raise UsageError(f"{PROG} run: error: --corpus is used only by 'translation'")
    try:
        check_mnist()
    except (MNISTNotFoundError, MNISTCorruptError) as err:
        raise UsageError(f"{PROG} run: error: {str(err).splitlines()[0]}") from None


def main(argv: list[str] | None = None) -> int:
    from optimlab.experiments import adamix

    try:
        args = parser(experiment_choices(adamix)).parse_args(argv)
        args.seeds = list(dict.fromkeys(args.seeds))  # repeated seeds count once, order kept
        if args.experiment == "book" and args.no_cache:
            raise UsageError(f"{PROG} run: error: 'book' fills the results cache; --no-cache cannot be used with it")
        args.readings = readings_of(args.readings, args.experiment)
        preflight(args)
    except UsageError as err:
        print(str(err).replace("\n", " "), file=sys.stderr)
        return 2
    if args.experiment == "translation":  # chapter 20: the survey's claim C7
        from optimlab.experiments import translation

        tic = time.perf_counter()
        frame = translation.run(args.scale, seeds=args.seeds, device=args.device, corpus=args.corpus,
                                cache=not args.no_cache, progress=True, workers=args.workers)
        path = translation.write_csv(frame, args.scale)
        print(f"translation: {len(frame)} rows -> {path} ({time.perf_counter() - tic:.1f} s)")
        for budget in translation.BUDGETS:
            verdict, _, details = translation.claim(frame, args.scale, budget.name)
            best = ", ".join(f"{family}: {name}" for family, name in details["best"].items())
            print(f"  C7 under '{budget.name}': {verdict} (best of each family: {best})")
        return 0
    if args.experiment == "book":  # fill the cache the book's chapters read
        tic = time.perf_counter()
        the_plan = adamix.runner.book_plan(args.scale, args.device)
        made = len(the_plan.missing())
        adamix.execute(the_plan, workers=args.workers, progress=True)
        print(f"book: {len(the_plan.pretrain)} pretrainings and {len(the_plan.finetune)} fine-tunings at "
              f"{args.scale} scale in the cache ({made} fine-tunings made, {time.perf_counter() - tic:.1f} s)")
        return 0
    names = sorted(adamix.EXPERIMENTS) if args.experiment == "all" else [args.experiment]
    if len(names) > 1 and not args.no_cache:  # one schedule for all: no worker waits for a phase to end
        adamix.execute(adamix.plan(names, args.scale, args.seeds, args.device, readings=args.readings),
                       workers=args.workers, progress=True)
    for name in names:
        tic = time.perf_counter()
        frame = adamix.run(name, scale=args.scale, seeds=args.seeds, device=args.device,
                           cache=not args.no_cache, progress=True, workers=args.workers, readings=args.readings)
        path = adamix.runs_to_csv(frame, name, args.scale)
        final = frame[frame["epoch"] == frame["epoch"].max()]
        summary = final.groupby(["reading", "strategy", "data_fraction"], sort=False)["test_rer"].mean()
        print(f"{name}: {len(frame)} rows -> {path} ({time.perf_counter() - tic:.1f} s)")
        for (reading, strategy, fraction), value in summary.items():
            print(f"  {reading:<14} {strategy:<14} fraction {fraction:<4} test RER {value:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
