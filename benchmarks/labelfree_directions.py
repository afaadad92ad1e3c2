"""Label-free directions judged by the emoji attribute classifier: for each of the top SeFa (and
GANSpace) components at +-3 sigma, the share of sampled faces whose predicted class of each attribute
differs between -3 sigma and +3 sigma; beside a random direction moved by the same distance.

    python -m benchmarks.labelfree_directions --n 64 --threads 1
"""

from __future__ import annotations

import argparse
import time

import torch


def load_models():
    try:
        from hub import get_model

        return get_model("stylegan2-emoji64"), get_model("emoji-attribute-classifier")
    except Exception:
        from pathlib import Path

        from plugins.emoji.classifier import load_classifier
        from plugins.stylegan2.convert import load_generator

        root = Path(__file__).resolve().parents[1]
        g = next(p for p in (root / "plugins/stylegan2/weights/stylegan2-emoji64.safetensors",
                             root / "weights/stylegan2-emoji64.safetensors") if p.is_file())
        return load_generator(g), load_classifier(root / "plugins/emoji/weights/emoji-attribute-classifier.safetensors")


@torch.no_grad()
def changed(G, C, ws, step) -> dict[str, float]:
    lo, hi = C.predict(G.synthesis(ws - step)), C.predict(G.synthesis(ws + step))
    return {a: float((lo[a] != hi[a]).float().mean()) for a in lo}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=64)
    ap.add_argument("--k", type=int, default=5)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    from hub.nn.directions import SLIDER_SIGMAS, ganspace_directions, random_directions, sefa_directions

    G, C = load_models()
    C.eval()
    t = time.perf_counter()
    sefa = sefa_directions(G, n=args.k, cache=False)
    print(f"SeFa (all {G.num_ws} rows) computed in {1000 * (time.perf_counter() - t):.0f} ms (with its sigmas)")
    t = time.perf_counter()
    gs = ganspace_directions(G, n=args.k, layers="coarse", cache=False)
    print(f"GANSpace (20000 samples) computed in {1000 * (time.perf_counter() - t):.0f} ms")
    z = torch.randn(args.n, G.z_dim, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        ws = G.mapping(z, 0.7)[:, None].repeat(1, G.num_ws, 1)
    rnd = random_directions(G, args.k, seed=1)
    attrs = None
    for d in (sefa, gs):
        for k in range(len(d)):
            step = SLIDER_SIGMAS * d.wplus(k)[None]
            ch = changed(G, C, ws, step)
            rv = torch.zeros_like(step)
            rv[0, list(d.layers)] = rnd.vectors[k] * step[0, d.layers[0]].norm()  # the same distance per row
            cr = changed(G, C, ws, rv)
            if attrs is None:
                attrs = list(ch)
                print("direction | sigma | " + " | ".join(attrs) + " | random (same norm): " + " | ".join(attrs))
            print(f"{d.names[k]} | {float(d.sigmas[k]):.3f} | " + " | ".join(f"{100 * ch[a]:.0f}" for a in attrs)
                  + " | " + " | ".join(f"{100 * cr[a]:.0f}" for a in attrs), flush=True)
    print("(cells: % of faces whose predicted class differs between -3 sigma and +3 sigma)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
