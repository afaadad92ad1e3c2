"""Fast style models against their Gatys teacher on held-out photos (plugins.style_transfer.fast_evaluate).

    python -m benchmarks.fast_style_quality                       # all embedded styles, grid + table
    python -m benchmarks.fast_style_quality --teacher-only        # just fill the Gatys cache
    python -m benchmarks.fast_style_quality --tune --side 128 --models-dir DIR --contents 1  # training photos
Gatys results are cached in --cache (they do not depend on the fast models).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import torch


def main(argv=None) -> int:
    from plugins.style_transfer.fast import BUILTIN_STYLES, EMBEDDED_DIR, load_file
    from plugins.style_transfer.fast_evaluate import HELDOUT, SIDE, TUNING, grid, quality_table, summarise, teacher_runs
    from hub.nn.vgg import vgg_source

    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--styles", default=",".join(BUILTIN_STYLES))
    p.add_argument("--contents", type=int, default=len(HELDOUT), help="use the first N held-out photos")
    p.add_argument("--steps", type=int, default=200, help="Gatys steps (default: the plugin's 200)")
    p.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "ganhub" / "bench" / "fast-style-teacher")
    p.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    p.add_argument("--teacher-only", action="store_true")
    p.add_argument("--tune", action="store_true",
                   help="measure on the training photos fast_evaluate.TUNING instead of the held-out ones "
                        "(for choosing train_fast.STYLE_SCALE; never the held-out photos)")
    p.add_argument("--side", type=int, default=None, help="square side of photos and outputs (default 256; "
                                                           "smaller only for --tune, where it saves Gatys time)")
    p.add_argument("--models-dir", type=Path, default=None,
                   help="read fast-style-<style>.safetensors from here (default: the embedded weights)")
    p.add_argument("--grid-dir", type=Path, default=None, help="write <dir>/fast-style-<style>-vs-gatys.png")
    p.add_argument("--json", type=Path, default=None)
    args = p.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    styles = args.styles.split(",")
    contents = (TUNING if args.tune else HELDOUT)[: args.contents]
    print(f"loss network: {vgg_source('vgg16')}")
    side = args.side or SIDE
    if side != SIDE and not args.tune:
        p.error("--side is for --tune only: the held-out quality bar is measured at 256 px")
    if args.teacher_only:
        teacher_runs(styles, contents, args.cache, args.steps, side=side)
        return 0
    models_dir = args.models_dir or EMBEDDED_DIR
    models = {s: load_file(models_dir / f"fast-style-{s}.safetensors", s, "embedded") for s in styles}
    rows = quality_table(styles, models, contents, args.cache, args.steps, side=side)
    print(f"{'style':15s} {'content':18s} {'fast style':>11s} {'gatys style':>11s} {'ratio':>6s} "
          f"{'fast cont':>10s} {'gatys cont':>10s} {'ratio':>6s} {'fast s':>7s} {'gatys s':>7s}")
    for r in rows:
        print(f"{r['style']:15s} {r['content']:18s} {r['fast']['style']:11.3e} {r['gatys']['style']:11.3e} "
              f"{r['style_ratio']:6.2f} {r['fast']['content']:10.4f} {r['gatys']['content']:10.4f} "
              f"{r['content_ratio']:6.2f} {r['fast_seconds']:7.3f} {r['gatys_seconds']:7.1f}")
    summary = summarise(rows)
    for style, s in summary.items():
        print(f"{style}: style ratio {s['style_ratio']:.2f}, content ratio {s['content_ratio']:.2f} over {s['n']} "
              f"photos -> {'meets' if s['meets_bar'] else 'misses'} the 1.5x bar")
    if args.grid_dir:
        for style in styles:
            print("grid:", grid([r for r in rows if r["style"] == style], args.grid_dir / f"fast-style-{style}.png"))
    if args.json:
        args.json.write_text(json.dumps({"rows": [{k: v for k, v in r.items() if k != "images"} for r in rows],
                                         "summary": summary}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
