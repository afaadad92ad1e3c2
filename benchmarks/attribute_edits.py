"""Attribute edits judged by the embedded attribute classifier (the inversion quality bars).

For every shipped direction d (``ModelSpec.related["directions"]``) and each alpha:
  * flip rate: among faces whose reconstruction the classifier does NOT read as the target class,
    the share read as the target class after w + alpha d (bar: >= 80%);
  * unchanged: over the same faces, the share of (face, other attribute) pairs whose predicted class
    is the same before and after (bar: >= 90%). For held-out faces a pair counts only where the
    attribute is defined for that emoji (its dataset label is not -1: "smiling" is labelled for face
    emoji only), since the classifier's reading of an undefined attribute is not a reading of anything.
The "before" is the classifier's reading of G(w) (the reconstruction), so inversion errors do not
count as edits.

Faces: held-out emoji inverted with the encoder (or, without one, by --steps of W+ optimisation),
or ``--faces random``: random samples (psi 0.7) -- cheaper, but not the bar's population.

    python benchmarks/attribute_edits.py --faces heldout --n 50 --alphas 1 2
    python benchmarks/attribute_edits.py --faces random --n 200 --checkpoint latest --directions FILE
    python benchmarks/attribute_edits.py --faces heldout --n 50 --alphas 2 --control random
    python benchmarks/attribute_edits.py --faces heldout --n 50 --alphas 1 2 3 --sigma   # the tab's sliders

``--control random`` replaces every direction by a random one with the same norm in every W+ row
(seeded by the direction's name): the same size of move in no meaningful direction. Its "unchanged"
is what the judge reads when an edit carries nothing but its size, and its "flip" is chance.
"""

from __future__ import annotations

import argparse
import hashlib
from pathlib import Path

import torch


from hub.nn import inversion as inv
from plugins.attribute_vectors.directions import load_directions


def random_like(direction: torch.Tensor, name: str) -> torch.Tensor:
    """A Gaussian direction with ``direction``'s norm in every W+ row, seeded by ``name``."""
    seed = int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "little")
    noise = torch.randn(direction.shape, generator=torch.Generator().manual_seed(seed))
    norms = direction.norm(dim=-1, keepdim=True)
    return noise / noise.norm(dim=-1, keepdim=True).clamp(min=1e-12) * norms


def parse_args(argv=None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="stylegan2-emoji64")
    ap.add_argument("--checkpoint", default=None, help="'latest' or a plugins.stylegan2.train checkpoint folder")
    ap.add_argument("--directions", default=None, help="a directions file (default: the model's shipped one)")
    ap.add_argument("--faces", choices=("heldout", "random"), default="heldout")
    ap.add_argument("--n", type=int, default=50)
    ap.add_argument("--steps", type=int, default=200, help="W+ steps when there is no encoder")
    ap.add_argument("--alphas", type=float, nargs="+", default=[1.0, 2.0])
    ap.add_argument("--layers", default="all", help="all | coarse | middle | fine")
    ap.add_argument("--classifier", default=None, help="a classifier safetensors file instead of the registered one")
    ap.add_argument("--detail", action="store_true", help="also print which other attributes changed (% of faces)")
    ap.add_argument("--control", choices=("none", "random"), default="none",
                    help="random: same-size random directions instead of the shipped ones (a baseline)")
    ap.add_argument("--sigma", action="store_true",
                    help="alphas in standard deviations (the tab's sigma-scaled sliders) instead of multiples of d")
    ap.add_argument("--threads", type=int, default=2)
    return ap.parse_args(argv)


def load_generator_and_judge(args, spec):
    """The generator (registered, or a training checkpoint) and the attribute classifier that judges it."""
    from hub.plugins import get_model

    if args.checkpoint:
        from plugins.stylegan2.train import DEFAULT_OUT, latest_checkpoint, load_checkpoint_models

        ckpt = latest_checkpoint(DEFAULT_OUT) if args.checkpoint == "latest" else Path(args.checkpoint)
        _, _, G, state = load_checkpoint_models(ckpt)
        G = G.eval().requires_grad_(False)
        print(f"generator: checkpoint {ckpt} (step {state.get('step', '?')})")
    else:
        G = get_model(args.model, device="cpu")
        print(f"generator: {args.model}")
    if args.classifier:
        from plugins.emoji.classifier import load_classifier

        clf = load_classifier(args.classifier).eval()
    else:
        clf = get_model(spec.related["classifier"], device="cpu")
    return G, clf


def edit_directions(args, spec, G) -> dict[str, torch.Tensor]:
    """The directions to judge: shipped or from a file, sigma-scaled or random controls on request."""
    from hub.plugins import get_hub

    if args.directions:
        dirs, meta = load_directions(args.directions)
    else:
        weight_id = spec.related.get("directions")
        if not weight_id:
            raise SystemExit(f"{args.model} ships no attribute directions (no 'directions' in its ModelSpec.related)")
        dirs, meta = load_directions(get_hub().weights.resolve(weight_id))
    print(f"directions: {meta.get('latents', meta.get('source'))}")
    if args.sigma:
        from plugins.attribute_vectors.api import sigma_directions

        dirs, sigmas = sigma_directions(G, dirs, meta)
        print("alphas in standard deviations of the training codes' projection (the tab's sliders)")
    if args.control == "random":
        dirs = {name: random_like(d, name) for name, d in dirs.items()}
        print("control: each direction replaced by a random one with its per-row norms")
    return dirs


def face_latents(args, spec, G) -> tuple[torch.Tensor, dict[str, torch.Tensor] | None]:
    """``(W+ of the faces, {attribute: [n] bool, labelled for that face})``; random faces have no labels."""
    if args.faces == "random":
        gen = torch.Generator().manual_seed(0)
        with torch.no_grad():
            ws = G.mapping(torch.randn(args.n, int(G.z_dim), generator=gen), 0.7)[:, None].repeat(1, int(G.num_ws), 1)
        print(f"faces: {args.n} random samples (psi 0.7)")
        return ws, None
    from hub.plugins import get_model
    from plugins.emoji.dataset import label_vector, load_emoji_arrays

    images, emoji_meta = load_emoji_arrays(int(G.resolution), split="heldout")
    x = torch.from_numpy(images[: args.n]).permute(0, 3, 1, 2).float().div(127.5).sub(1)
    truth = [label_vector(m) for m in emoji_meta[: args.n]]
    defined = {a: torch.tensor([t[a] >= 0 for t in truth]) for a in truth[0]}
    encoder, enc_name = None, spec.related.get("encoder")
    if enc_name and not args.checkpoint:
        try:
            encoder = get_model(enc_name, device="cpu")
        except Exception as exc:
            print(f"(encoder unavailable: {exc})")
    if encoder is not None:
        ws = inv.encode(encoder, x, int(G.num_ws))
        how = f"encoder {enc_name}"
    else:
        cfg = inv.reconstruction_config(args.steps, 0, yield_every=10 ** 6)
        ws = torch.cat([inv.invert(G, x[i : i + 25], cfg).ws for i in range(0, len(x), 25)])
        how = f"{args.steps} W+ optimisation steps"
    print(f"faces: {len(x)} held-out emoji, latents by {how}")
    return ws, defined


def judge_edits(G, clf, dirs, ws, defined, alphas, rows, detail: bool) -> None:
    """Print, per direction and alpha, the flip rate and the share of other attributes left unchanged."""
    from hub.nn.latents import apply_direction

    @torch.no_grad()
    def predict(w):
        out = {}
        for i in range(0, len(w), 50):
            img = G.synthesis(w[i : i + 50]).clamp(-1, 1)
            for k, v in clf.predict(img).items():
                out.setdefault(k, []).append(v)
        return {k: torch.cat(v) for k, v in out.items()}

    before = predict(ws)
    attrs = clf.attributes
    print(f"\n{'direction':22s} {'alpha':>5s} {'n':>4s} {'flip %':>7s} {'unchanged %':>12s}   (bars: 80 / 90)")
    for name in sorted(dirs):
        attr, _, cls = name.partition(":")
        target = attrs[attr].index(cls) if cls else 1
        todo = before[attr] != target
        n = int(todo.sum())
        if n == 0:
            print(f"{name:22s}   all faces already read as the target class")
            continue
        for alpha in alphas:
            after = predict(apply_direction(ws[todo], dirs[name], alpha, rows))
            flip = float((after[attr] == target).float().mean())
            others = [a for a in attrs if a != attr]
            same_pairs = torch.stack([after[a] == before[a][todo] for a in others])  # [others, n]
            counted = (torch.stack([defined[a][todo] for a in others]) if defined is not None
                       else torch.ones_like(same_pairs))
            same = same_pairs[counted].float().mean()
            changes = ""
            if detail:
                changed = {a: 100 * float((after[a] != before[a][todo])[c].float().mean())
                           for a, c in zip(others, counted) if c.any()}
                changes = "   changed: " + ", ".join(f"{a} {v:.0f}%" for a, v in changed.items() if v >= 5)
            print(f"{name:22s} {alpha:5.1f} {n:4d} {100 * flip:7.1f} {100 * float(same):12.1f}{changes}")


def main(argv=None) -> int:
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    from hub.plugins import get_hub
    from plugins.attribute_vectors.api import resolve_layers

    spec = get_hub().models.spec(args.model)
    G, clf = load_generator_and_judge(args, spec)
    dirs = edit_directions(args, spec, G)
    ws, defined = face_latents(args, spec, G)
    judge_edits(G, clf, dirs, ws, defined, args.alphas, resolve_layers(G, args.layers), args.detail)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
