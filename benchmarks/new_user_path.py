"""The new user's path of issue 24: out-of-style people inverted with PTI (and, for comparison, W+ then
noise), then every edit the tabs offer, judged by the attribute classifier; writes a contact sheet.

Per image A (B and C are the next two images of the set): the top 5 SeFa directions (all rows, the
tab's default) and every labelled direction at +-2 sigma, the morph midpoint of A and B, coarse
mixing (A with B's coarse rows) and A + 1 (C - B). An edit renders as the tabs render it: through
A's tuned generator for a PTI latent, with A's noise maps for a W+ then noise latent.

The judge. "Read as a face or person" literally is the attribute classifier's kind head choosing
face or person; that reading cannot fail (its heads have no "none" class: it calls a black disc 91 %
"person" and magenta noise 94 % "face", which ``--probe`` prints), and it fails an edit that turns
one person into a couple ("multi-person"), which is still people. The bar is therefore held to a
strict reading: ``plugins.emoji.face_judge``, a binary judge of people emoji against non-people emoji
and junk, reads the image as a face or person. Both readings are printed.

    python -m benchmarks.new_user_path --n 30 --threads 1 --sheet docs/figures/new_user_path.png
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from hub.images import batch_to_tensor

SEFA_COMPONENTS = 5
ALPHA = 2.0


# ------------------------------------------------------------------------------------------ the judge
class Judge:
    """Literal: the attribute classifier's kind head says face or person. Strict: the face judge of
    ``plugins.emoji.face_judge``, which can say "no face" (and counts a couple as people)."""

    def __init__(self, clf):
        from plugins.emoji.face_judge import load_judge

        self.clf = clf
        kinds = clf.attributes["kind"]
        self.accept = [kinds.index("face"), kinds.index("person")]
        self.face_judge = load_judge()

    @torch.no_grad()
    def read(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(literal, strict), each [N] bool."""
        from plugins.emoji.face_judge import is_face_or_person

        kind = torch.cat([self.clf.predict(x[i : i + 256])["kind"] for i in range(0, len(x), 256)])
        literal = (kind == self.accept[0]) | (kind == self.accept[1])
        return literal, is_face_or_person(self.face_judge, x)


@torch.no_grad()
def embedding_distances(clf, probes: dict[str, torch.Tensor]) -> tuple[list[float], dict[str, float]]:
    """Why the classifier's embedding cannot be the judge either: the mean distance to the 5 nearest
    real train emoji (Noto) of the held-out Noto emoji (quartiles 50 / 90 / 99 %) and of each probe."""
    from plugins.emoji.dataset import load_emoji_arrays

    reference = clf.embed(batch_to_tensor(load_emoji_arrays(64, "train")[0]))

    def distance(x):
        return torch.cdist(clf.embed(x), reference).topk(5, largest=False).values.mean(1)

    held = distance(batch_to_tensor(load_emoji_arrays(64, "heldout")[0]))
    return torch.quantile(held, torch.tensor([0.5, 0.9, 0.99])).tolist(), {k: float(distance(v)) for k, v in probes.items()}


def probe_images() -> dict[str, torch.Tensor]:
    """Images that are no face: the failures the issue describes, and plain controls."""
    g = torch.Generator().manual_seed(0)
    yy, xx = torch.meshgrid(torch.arange(64), torch.arange(64), indexing="ij")
    disc = (((yy - 32) ** 2 + (xx - 32) ** 2) < 20 ** 2).float()
    magenta = torch.stack([0.5 + 0.5 * torch.rand(64, 64, generator=g), -1 + 0.4 * torch.rand(64, 64, generator=g),
                           0.5 + 0.5 * torch.rand(64, 64, generator=g)])
    return {
        "black disc on white": (1 - 2 * disc)[None, None].expand(1, 3, 64, 64),
        "magenta noise": magenta[None],
        "brown smear": (torch.tensor([0.2, -0.3, -0.6])[:, None, None] * (0.6 + 0.4 * disc))[None],
        "uniform grey": torch.zeros(1, 3, 64, 64),
        "uniform white": torch.ones(1, 3, 64, 64),
        "uniform noise": torch.rand(1, 3, 64, 64, generator=g) * 2 - 1,
    }


# ------------------------------------------------------------------------------------------ inversions
def invert_all(G, E, x: torch.Tensor, *, pivot_steps: int, tuning_steps: int, lr: float, wplus_steps: int,
               noise_steps: int, init: str = "encoder", pivot_init: str | None = None, pivot_space: str = "w+",
               locality: bool = False):
    """{"PTI": [(ws, noise, renderer)], "W+ then noise": [...]} of every image. ``init``: where both
    start; ``pivot_init``: PTI's pivot's start where it differs."""
    pivot_init = pivot_init or init
    from hub.nn import inversion as inv
    from hub.nn import pti

    t = time.perf_counter()
    noise = inv.invert(G, x, inv.InversionConfig((inv.phase_w_plus(wplus_steps), inv.phase_mkn(noise_steps)),
                                                  init=init, yield_every=10 ** 6), encoder=E)
    print(f"W+ then noise ({wplus_steps} + {noise_steps} steps from {init}): median {np.median(noise.psnrs):.2f} dB, "
          f"{time.perf_counter() - t:.0f} s for {len(x)}", flush=True)
    t = time.perf_counter()
    pivots = inv.invert(G, x, pti.pivot_config(pivot_space, pivot_steps, init=pivot_init, yield_every=10 ** 6),
                        encoder=E)
    tuned, psnrs = [], []
    for i in range(x.shape[0]):
        cfg = pti.PTIConfig(pivot=pti.pivot_config("w+", 0), steps=tuning_steps, lr=lr, yield_every=10 ** 6,
                            locality=locality)
        r = pti.pti(G, x[i : i + 1], cfg, init_ws=pivots.ws[i : i + 1], init_noise=[n[i : i + 1] for n in pivots.noise])
        tuned.append((r.ws.detach(), [n.detach() for n in r.noise], r.generator))
        psnrs.append(r.psnr)
    print(f"PTI ({pivot_steps} {pivot_space.upper()} pivot steps from {pivot_init} + {tuning_steps} tuning steps, lr {lr}"
          f"{', locality regulariser' if locality else ''}): median {np.median(psnrs):.2f} dB, "
          f"{time.perf_counter() - t:.0f} s for {len(x)}", flush=True)
    plain = [(noise.ws[i : i + 1], [n[i : i + 1] for n in noise.noise], G) for i in range(x.shape[0])]
    return {"PTI": tuned, "W+ then noise": plain}


# ------------------------------------------------------------------------------------------ the edits
def edit_names(labelled: dict) -> list[str]:
    names = [f"sefa {k} {s:+g}" for k in range(SEFA_COMPONENTS) for s in (ALPHA, -ALPHA)]
    names += [f"{d} {s:+g}" for d in sorted(labelled) for s in (ALPHA, -ALPHA)]
    return names + ["morph midpoint", "coarse mix", "transfer"]


@torch.no_grad()
def edits_of(G, latents, i: int, sefa, labelled: dict) -> tuple[torch.Tensor, torch.Tensor]:
    """(reconstruction [1,3,R,R], edits [E,3,R,R] in ``edit_names`` order) of image i."""
    from hub.nn import latents as lat
    from plugins.wplus_editing import api as wplus

    ws, noise, renderer = latents[i]
    b, c = latents[(i + 1) % len(latents)], latents[(i + 2) % len(latents)]
    A, B, C = {"ws": ws, "noise": noise}, {"ws": b[0], "noise": b[1]}, {"ws": c[0], "noise": c[1]}
    codes = [sefa.apply(ws, {k: s}) for k in range(SEFA_COMPONENTS) for s in (ALPHA, -ALPHA)]
    codes += [lat.apply_direction(ws, labelled[d].to(ws), s) for d in sorted(labelled) for s in (ALPHA, -ALPHA)]
    mid_ws, mid_noise = lat.lerp_latents(ws, b[0], 0.5, noise, b[1])
    codes.append(wplus.mix(G, A, B, "coarse")["ws"])
    codes.append(wplus.transfer(A, B, C, 1.0)["ws"])
    batch = torch.cat(codes)
    out = renderer.synthesis(batch, noise=[n.expand(len(batch), -1, -1, -1) for n in noise]).clamp(-1, 1)
    mid = renderer.synthesis(mid_ws, noise=mid_noise).clamp(-1, 1)
    recon = renderer.synthesis(ws, noise=noise).clamp(-1, 1)
    # the morph midpoint belongs before the mix in edit_names' order
    return recon, torch.cat([out[:-2], mid, out[-2:]])


def contact_sheet(rows: list[tuple[torch.Tensor, torch.Tensor, torch.Tensor]], names: list[str], path: str) -> None:
    """One row per image: input, reconstruction, then every edit; a red corner marks an edit the
    strict judge rejected."""
    from PIL import Image, ImageDraw

    cols = 2 + len(names)
    sheet = Image.new("RGB", (cols * 66, len(rows) * 66), "white")
    draw = ImageDraw.Draw(sheet)
    for r, (x, recon, edits, ok) in enumerate(rows):
        tiles = [x[0], recon[0]] + list(edits)
        for c, t in enumerate(tiles):
            a = ((t.permute(1, 2, 0).numpy() + 1) * 127.5).round().clip(0, 255).astype(np.uint8)
            sheet.paste(Image.fromarray(a), (c * 66 + 1, r * 66 + 1))
            if c >= 2 and not ok[c - 2]:
                draw.polygon([(c * 66 + 1, r * 66 + 1), (c * 66 + 13, r * 66 + 1), (c * 66 + 1, r * 66 + 13)], fill="red")
    sheet.save(path, optimize=True)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=30)
    ap.add_argument("--budget", type=int, default=100)
    ap.add_argument("--pivot-steps", type=int, default=20)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--pivot-space", choices=("w", "w+"), default="w+",
                    help="PTI's pivot: w+ (pti_quality's default) or w (the paper's, more editable)")
    ap.add_argument("--locality", action="store_true", help="PTI with the paper's locality regulariser (Sec. 3.3)")
    ap.add_argument("--tab-defaults", action="store_true",
                    help="invert as the W+ editing tab does by default instead of with --budget: PTI = 150 W+ pivot "
                         "steps from the encoder + 100 tuning steps at the tab's lr (2e-3); W+ then noise = 150 + 150 "
                         "from w_avg")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--sheet", default=None, help="write the PTI contact sheet here (PNG)")
    ap.add_argument("--sheet-rows", type=int, default=8)
    ap.add_argument("--probe", action="store_true", help="only print the judge's reading of non-face images")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    from hub.plugins import get_hub, get_model
    from plugins.attribute_vectors.api import labelfree_directions, sigma_directions
    from plugins.attribute_vectors.directions import load_directions
    from plugins.wplus_editing.defaults import TAB_TUNING_LR

    G, E = get_model("stylegan2-emoji64"), get_model("stylegan2-emoji64-encoder")
    judge = Judge(get_model(get_hub().models.spec("stylegan2-emoji64").related["classifier"], device="cpu"))
    probes = probe_images()
    for name, img in probes.items():
        literal, strict = judge.read(img)
        print(f"  probe {name:22s} literal {'face/person' if literal else 'no':12s} strict {'face/person' if strict else 'no'}")
    if args.probe:
        quantiles, distances = embedding_distances(judge.clf, probes)
        print("classifier embedding, mean distance to the 5 nearest train emoji: held-out emoji "
              + " / ".join(f"{q:.2f}" for q in quantiles) + " (50 / 90 / 99 %); probes "
              + ", ".join(f"{k} {v:.2f}" for k, v in distances.items()))
        return 0
    from plugins.emoji.twemoji import load_twemoji_people

    x = batch_to_tensor(load_twemoji_people(args.n))
    literal, strict = judge.read(x)
    print(f"Twemoji person emoji (held-out, first {len(x)}): the inputs themselves: literal {literal.float().mean():.0%}, strict {strict.float().mean():.0%}")
    dirs, meta = load_directions(get_hub().weights.resolve("stylegan2-emoji64-directions"))
    labelled, _ = sigma_directions(G, dirs, meta)
    sefa = labelfree_directions(G, "sefa", "all", 10)
    names = edit_names(labelled)
    groups = {"SeFa top 5": [n for n in names if n.startswith("sefa")],
              "labelled": [n for n in names if not n.startswith("sefa") and n not in names[-3:]],
              "morph midpoint": ["morph midpoint"], "coarse mix": ["coarse mix"], "transfer (lambda 1)": ["transfer"]}
    results = {}
    if args.tab_defaults:
        how = dict(pivot_steps=150, tuning_steps=100, lr=TAB_TUNING_LR, wplus_steps=150, noise_steps=150, init="w_avg",
                   pivot_init="encoder")
    else:
        how = dict(pivot_steps=args.pivot_steps, tuning_steps=args.budget - args.pivot_steps, lr=args.lr,
                   wplus_steps=args.budget // 2, noise_steps=args.budget - args.budget // 2)
    for method, latents in invert_all(G, E, x, pivot_space=args.pivot_space, locality=args.locality, **how).items():
        ok_literal, ok_strict, recon_ok, sheet = [], [], [], []
        for i in range(len(x)):
            recon, edits = edits_of(G, latents, i, sefa, labelled)
            lit, st = judge.read(edits)
            ok_literal.append(lit)
            ok_strict.append(st)
            recon_ok.append(bool(judge.read(recon)[1]))
            if i < args.sheet_rows:
                sheet.append((x[i : i + 1], recon, edits, st.tolist()))
        L, S = torch.stack(ok_literal).float(), torch.stack(ok_strict).float()  # [images, edits]
        results[method] = (L, S, sum(recon_ok), sheet)
    print(f"\n% of edits read as a face or person ({len(x)} images x {len(names)} edits; literal / strict; bar: strict >= 90 %)")
    print(f"{'edit':22s} " + " ".join(f"{m:>20s}" for m in results))
    for group, members in [("all edits", names)] + list(groups.items()):
        idx = [names.index(n) for n in members]
        cells = [f"{100 * float(L[:, idx].mean()):8.1f} / {100 * float(S[:, idx].mean()):5.1f}  " for L, S, _, _ in results.values()]
        print(f"{group:22s} " + " ".join(f"{c:>20s}" for c in cells))
    print("reconstructions read strictly as a face or person: "
          + ", ".join(f"{m} {r}/{len(x)}" for m, (_, _, r, _) in results.items()))
    worst = {m: sorted(((float(S[:, j].mean()), names[j]) for j in range(len(names))))[:5] for m, (_, S, _, _) in results.items()}
    for m, w in worst.items():
        print(f"  {m}: weakest edits " + ", ".join(f"{n} {100 * v:.0f} %" for v, n in w))
    if args.sheet:
        contact_sheet(results["PTI"][3], names, args.sheet)
        print("contact sheet:", args.sheet)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
