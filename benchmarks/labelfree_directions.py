"""Label-free directions judged by the emoji attribute classifier, on held-out faces.

Faces: held-out emoji encoded to W+ by the model's encoder (``--faces heldout``, the issue's
population) or random samples at psi 0.7 (``--faces random``). For each of the top ``--k`` SeFa
components (``--sefa-layers``, all W+ rows by default) and GANSpace components (coarse rows), at -3 sigma and +3 sigma (the
sliders' ends), per attribute: the share of faces whose predicted class differs between the two
ends. On held-out faces an attribute counts only for emoji where it is defined (its dataset label
is not -1: gender and hair are undefined for a smiley). Per component: its most-changed attribute,
and "others unchanged", the share of (face, other attribute) pairs whose class stays the same.
Bar (issue 24): at least two SeFa components each change one named attribute (skin tone, hair,
gender or kind) in >= 70 % of faces with the others unchanged in >= 80 %. Control: a seeded random
W direction moved by the same distance on the same rows.

    python -m benchmarks.labelfree_directions --faces heldout --n 230 --threads 1

Choosing a row range without looking at the held-out faces: ``--faces train`` encodes training emoji
instead (every ``--every``-th, labels as for held-out), and ``--sweep a-b,c-d,...`` (or ``--sweep
contiguous``: every contiguous row range) prints, per range, how many of its top ``--k`` SeFa
components meet the bar there, with no random control:

    python -m benchmarks.labelfree_directions --faces train --every 8 --n 211 --sweep contiguous --threads 1
"""

from __future__ import annotations

import argparse
import time

import torch

NAMED = ("skin_tone", "hair", "gender", "kind")  # the attributes the bar names


def load_models():
    from hub import get_model

    return (get_model("stylegan2-emoji64"), get_model("emoji-attribute-classifier"),
            get_model("stylegan2-emoji64-encoder"))


@torch.no_grad()
def predict(G, C, ws, batch: int = 64) -> dict[str, torch.Tensor]:
    out: dict[str, list] = {}
    for i in range(0, len(ws), batch):
        for k, v in C.predict(G.synthesis(ws[i : i + batch]).clamp(-1, 1)).items():
            out.setdefault(k, []).append(v)
    return {k: torch.cat(v) for k, v in out.items()}


def changed(G, C, ws, step, defined) -> dict[str, float]:
    """Per attribute: share of faces (where it is defined) whose class differs between ws - step and ws + step."""
    lo, hi = predict(G, C, ws - step), predict(G, C, ws + step)
    return {a: float((lo[a] != hi[a])[defined[a]].float().mean()) for a in lo if defined[a].any()}


def verdict(ch: dict[str, float], defined: dict[str, torch.Tensor]) -> tuple[str, float, float]:
    """(most-changed named attribute, its change, others unchanged over defined (face, attribute) pairs)."""
    best = max(NAMED, key=lambda a: ch.get(a, 0.0))
    others = [a for a in ch if a != best]
    pairs = sum(int(defined[a].sum()) for a in others)
    same = sum((1 - ch[a]) * int(defined[a].sum()) for a in others) / max(1, pairs)
    return best, ch[best], same


def faces(G, E, kind: str, n: int, every: int = 1):
    """(W+ [n, num_ws, w_dim], defined: attr -> bool [n], description)."""
    if kind == "random":
        z = torch.randn(n, G.z_dim, generator=torch.Generator().manual_seed(1))
        with torch.no_grad():
            ws = G.mapping(z, 0.7)[:, None].repeat(1, G.num_ws, 1)
        return ws, None, f"{n} random samples (psi 0.7)"
    from hub.images import batch_to_tensor
    from hub.nn.inversion import encode
    from plugins.emoji.dataset import label_vector, load_emoji_arrays

    imgs, meta = load_emoji_arrays(int(G.resolution), kind)
    imgs, meta = imgs[: n * every : every], meta[: n * every : every]
    x = batch_to_tensor(imgs)
    with torch.no_grad():
        ws = torch.cat([encode(E, x[i : i + 64], int(G.num_ws)) for i in range(0, len(x), 64)])
    labels = [label_vector(m) for m in meta]
    defined = {a: torch.tensor([lab[a] >= 0 for lab in labels]) for a in labels[0]}
    which = "held-out" if kind == "heldout" else f"training (every {every}th)"
    return ws, defined, f"{len(ws)} {which} emoji, W+ by the encoder"


def sweep(G, C, E, args) -> int:
    """Per row range: the top ``args.k`` SeFa components' verdicts (no random control)."""
    from hub.nn.directions import SLIDER_SIGMAS, sefa_directions

    ws, defined, desc = faces(G, E, args.faces, args.n, args.every)
    if defined is None:
        defined = {a: torch.ones(len(ws), dtype=torch.bool) for a in C.attributes}
    print(f"faces: {desc}", flush=True)
    n = int(G.num_ws)
    if args.sweep == "contiguous":
        ranges = [f"{a}-{b}" for a in range(n) for b in range(a, n)]
    else:
        ranges = [r.strip() for r in args.sweep.split(",") if r.strip()]
    print("rows | components meeting the bar | per component: most changed attribute %, others unchanged %")
    for rows in ranges:
        d = sefa_directions(G, rows, n=args.k, cache=False)
        met, cells = 0, []
        for k in range(len(d)):
            best, change, same = verdict(changed(G, C, ws, SLIDER_SIGMAS * d.wplus(k)[None], defined), defined)
            ok = change >= 0.7 and same >= 0.8
            met += ok
            cells.append(f"{k}: {best} {100 * change:.0f}/{100 * same:.0f}{' *' if ok else ''}")
        print(f"{rows} | {met} | " + "; ".join(cells), flush=True)
    return 0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--faces", choices=("heldout", "train", "random"), default="heldout",
                    help="train: a discovery set for choosing the rows, disjoint from the held-out evaluation")
    ap.add_argument("--n", type=int, default=230)
    ap.add_argument("--every", type=int, default=1, help="take every k-th emoji of the split")
    ap.add_argument("--sweep", default=None,
                    help="row ranges 'a-b,c-d' or 'contiguous': per range, how many SeFa components meet the bar")
    ap.add_argument("--k", type=int, default=5)
    ap.add_argument("--sefa-layers", default="all", help="W+ rows of SeFa: all, coarse, middle, fine or a-b")
    ap.add_argument("--no-ganspace", action="store_true")
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    from hub.nn.directions import SLIDER_SIGMAS, ganspace_directions, random_directions, sefa_directions

    G, C, E = load_models()
    C.eval()
    if args.sweep:
        return sweep(G, C, E, args)
    t = time.perf_counter()
    sefa = sefa_directions(G, args.sefa_layers, n=args.k, cache=False)
    print(f"SeFa (rows {sefa.layers[0]}-{sefa.layers[-1]}) computed in {1000 * (time.perf_counter() - t):.0f} ms (with its sigmas)")
    t = time.perf_counter()
    gs = ganspace_directions(G, n=args.k, layers="coarse", cache=False)
    print(f"GANSpace (20000 samples) computed in {1000 * (time.perf_counter() - t):.0f} ms")
    ws, defined, desc = faces(G, E, args.faces, args.n, args.every)
    print(f"faces: {desc}")
    if defined is None:
        defined = {a: torch.ones(len(ws), dtype=torch.bool) for a in C.attributes}
    rnd = random_directions(G, args.k, seed=1)
    attrs = [a for a in C.attributes if defined[a].any()]
    print("direction | sigma | " + " | ".join(attrs) + " | most changed | others unchanged | bar"
          " | random (same norm): " + " | ".join(attrs) + " | others unchanged")
    met = 0
    for d in (sefa,) if args.no_ganspace else (sefa, gs):
        for k in range(len(d)):
            step = SLIDER_SIGMAS * d.wplus(k)[None]
            ch = changed(G, C, ws, step, defined)
            rv = torch.zeros_like(step)
            rv[0, list(d.layers)] = rnd.vectors[k] * step[0, d.layers[0]].norm()  # the same distance per row
            cr = changed(G, C, ws, rv, defined)
            best, change, same = verdict(ch, defined)
            ok = change >= 0.7 and same >= 0.8
            met += ok and d.method == "sefa"
            print(f"{d.names[k]} | {float(d.sigmas[k]):.3f} | " + " | ".join(f"{100 * ch[a]:.0f}" for a in attrs)
                  + f" | {best} {100 * change:.0f} | {100 * same:.0f} | {'met' if ok else 'missed'} | "
                  + " | ".join(f"{100 * cr[a]:.0f}" for a in attrs) + f" | {100 * verdict(cr, defined)[2]:.0f}",
                  flush=True)
    print("(cells: % of faces, where the attribute is defined, whose predicted class differs between -3 and +3 sigma)")
    print(f"SeFa components meeting the bar (>= 70 % one named attribute, >= 80 % others unchanged): {met} (bar: >= 2)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
