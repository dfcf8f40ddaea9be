"""``python -m ganlib evaluate``: a generator's sample quality, printed and optionally written as JSON."""

from __future__ import annotations

import json

from .errors import UserError, seed_option, whole_option
from .options import EVALUATE_N, FAST_EVALUATE_N, MAX_EVALUATE_N, fast_mode
from .outputs import check_file

__all__ = ["run"]


def run(args) -> int:
    from ..config import IMAGE_DIM
    from ..data.mnist import load_mnist
    from ..evaluation import metrics
    from ..io.archive import atomic_write
    from ..io.generator import load_generator, sample_generator

    n = whole_option("--n", args.n, 2, MAX_EVALUATE_N) if args.n is not None else _default_n()
    seed = seed_option(args.seed)
    if args.json:
        check_file("--json", args.json)
    for split in ("train", "validation", "test"):  # what the metrics compare with: any problem shows now
        load_mnist(split)
    G, meta = load_generator(args.checkpoint)
    if meta["config"]["data_dim"] != IMAGE_DIM:
        raise UserError(
            f"{args.checkpoint} makes {meta['config']['data_dim']}-dimensional data, not 28x28 images: "
            "evaluate measures generators of MNIST images"
        )
    results = metrics.evaluate_samples(sample_generator(G, meta, n, seed), parzen=not args.no_parzen)
    print(metrics.format_evaluation(results))
    if args.json:
        text = json.dumps(metrics.to_jsonable(results), indent=2)
        try:
            atomic_write(args.json, lambda f: f.write(text.encode()))
        except OSError as err:
            raise UserError(f"could not write {args.json} ({err}); it is as it was, the figures are above") from err
        print(f"wrote {args.json}")
    return 0


def _default_n() -> int:
    if not fast_mode():
        return EVALUATE_N
    print(f"GANLIB_FAST=1: {FAST_EVALUATE_N:,} samples, not {EVALUATE_N:,}; unset it (or give --n) to measure in full")
    return FAST_EVALUATE_N
