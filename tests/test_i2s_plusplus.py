"""Image2StyleGAN++ building blocks and applications on a tiny randomly initialised StyleGAN2.

Mechanics that can break (frozen rows stay frozen, noise-only stages leave W+ alone, the activation
copy touches only the masked region of the chosen layer, streaming and cancel), not quality.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from plugins.i2s_plusplus import api
from ganhub_tiny_models import tiny_generator

torch.set_num_threads(1)


@pytest.fixture(scope="module")
def G():
    return tiny_generator()


def sample(G, seed):
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        w = G.mapping(torch.randn(1, G.z_dim, generator=gen))[:, None].repeat(1, G.num_ws, 1)
        noise = G.make_noise(1, gen)
        return w, noise, G.synthesis(w, noise=noise).clamp(-1, 1)


@pytest.fixture(scope="module")
def images(G):
    return sample(G, 1), sample(G, 2)


def square_mask(size, a, b):
    m = np.zeros((size, size), np.float32)
    m[a:b, a:b] = 1
    return m


def test_paper_layer_scaling(G):
    assert api.paper_rows(tiny_generator(), ((1, 18),)) == tuple(range(G.num_ws))
    assert set(api.paper_rows(G, api.SCRIBBLE_PAPER_ROWS)) < set(range(1, G.num_ws - 1))
    rows = api.paper_rows(G, api.INPAINT_PAPER_ROWS)
    assert 0 in rows and G.num_ws - 1 in rows and len(rows) < G.num_ws
    assert 0 < api.paper_layer(G) < G.num_layers - 1


def test_w_l_leaves_masked_out_rows_exactly_unchanged(G, images):
    (w1, n1, x1), _ = images
    start = w1 + 0.3
    rows = (1, 2)
    run = api.Run(api.W_l(G, x1, rows=rows, ws=start, noise=n1, steps=6, perceptual=0.0, yield_every=3))
    steps = [p.step for p in run]
    assert steps == [3, 6]
    res = run.result
    frozen = [r for r in range(G.num_ws) if r not in rows]
    assert torch.equal(res.ws[:, frozen], start[:, frozen])
    assert not torch.equal(res.ws[:, list(rows)], start[:, list(rows)])
    assert all(torch.equal(a, b) for a, b in zip(res.noise, n1))


def test_mk_n_changes_only_noise(G, images):
    (w1, n1, x1), _ = images
    start_noise = [torch.zeros_like(n) for n in n1]
    # lr 5 (the paper's, for a trained model's small noise strengths) overshoots on this toy; 0.05 descends
    run = api.Run(api.Mk_n(G, x1, w1, noise=start_noise, steps=6, lr=0.05, yield_every=2))
    list(run)
    res = run.result
    assert torch.equal(res.ws, w1)
    assert any(not torch.equal(a, b) for a, b in zip(res.noise, start_noise))
    assert res.history[-1]["mse"] < res.history[0]["mse"]


def test_i_att_spatial_copy_only_in_mask_at_layer(G, images):
    (w1, n1, _), (w2, n2, _) = images
    layer = api.paper_layer(G)
    res = G.layer_resolutions[layer]
    mask = square_mask(G.resolution, 0, G.resolution // 2)  # top-left quarter
    _, acts1 = api.render(G, w1, n1, return_activations=True)
    _, acts2 = api.render(G, w2, n2, return_activations=True)
    img, acts = api.I_att(G, w1, w2, mask, layer=layer, noise1=n1, noise2=n2, return_activations=True)
    for i in range(layer):  # earlier layers untouched
        assert torch.equal(acts[i], acts1[i])
    m = api.mask_tensor(mask, res)[0, 0] > 0.5
    assert m.any() and (~m).any()
    assert torch.allclose(acts[layer][..., m], acts2[layer][..., m])
    assert torch.equal(acts[layer][..., ~m], acts1[layer][..., ~m])
    base = api.render(G, w1, n1)
    assert not torch.equal(img, base)
    # channel-wise copy moves only the chosen channels
    _, acts_c = api.I_att(G, w1, w2, mask, layer=layer, noise1=n1, noise2=n2, mode="channel", channels=[0, 3],
                          return_activations=True)
    assert torch.allclose(acts_c[layer][:, [0, 3]][..., m], acts2[layer][:, [0, 3]][..., m])
    assert torch.equal(acts_c[layer][:, 1:3], acts1[layer][:, 1:3])
    with pytest.raises(ValueError):
        api.I_att(G, w1, w2, mask, layer=G.num_layers)


def test_crossover_streams_and_moves_towards_b(G, images):
    (_, _, a), (_, _, b) = images
    mask = square_mask(G.resolution, 4, 12)
    run = api.Run(api.crossover(G, a, b, mask, w_steps=6, noise_steps=6, perceptual=0.0, yield_every=3,
                                noise_lr=0.05))  # lr 5 overshoots on this toy's large noise strengths
    prog = list(run)
    assert [p.step for p in prog] == [3, 6, 9, 12] and all(p.total == 12 for p in prog)
    assert prog[0].stage == "W_l" and prog[-1].stage == "Mk_n"
    res = run.result
    assert res.image.shape == a.shape and res.completed
    inside = torch.from_numpy(mask)[None, None] > 0
    err_b = ((res.image - b) ** 2)[inside.expand_as(b)].mean()
    err_wavg = ((api.render(G, G.w_avg.reshape(1, 1, -1).repeat(1, G.num_ws, 1), res.noise) - b) ** 2)[
        inside.expand_as(b)].mean()
    assert err_b < err_wavg
    assert api.seam_energy(res.image, res.extras["mask"]) >= 0
    with pytest.raises(ValueError):
        next(api.crossover(G, a, b, np.zeros((16, 16), np.float32)))


RED = torch.tensor([1.0, -1.0, -1.0]).view(1, 3, 1, 1)


def red_bar(size=32):
    """(colours, strokes) of one red scribble across the upper middle."""
    colours = np.zeros((size, size, 3), np.uint8)
    colours[8:16, 8:24] = (255, 0, 0)
    strokes = np.zeros((size, size), np.float32)
    strokes[8:16, 8:24] = 1
    return colours, strokes


def distance_to_red(img, strokes):
    return float(((img - RED) ** 2).mean(1, keepdim=True)[strokes].mean())


def test_scribbles_move_only_middle_rows(G, images):
    (w1, n1, x1), _ = images
    colours, strokes = red_bar()
    run = api.Run(api.scribble_edit(G, x1, colours, strokes, init_latent={"ws": w1, "noise": n1}, w_steps=8,
                                    noise_steps=4, noise_lr=0.05, perceptual=0.0, yield_every=4))
    prog = list(run)
    assert [p.step for p in prog] == [4, 8, 12]
    res = run.result
    rows = res.extras["rows"]
    frozen = [r for r in range(G.num_ws) if r not in rows]
    assert torch.equal(res.ws[:, frozen], w1[:, frozen]) and not torch.equal(res.ws, w1)
    s = res.extras["strokes"] > 0.5
    assert distance_to_red(api.render(G, res.ws, n1), s) < distance_to_red(res.extras["embedded"], s)  # the W_l stage moved the stroke region towards red


def test_scribble_noise_stage_fits_the_stroke_colours(G, images):
    # the paper fits the noise stage to the scribbled image; "edit" keeps the W_l result inside instead
    (w1, n1, x1), _ = images
    colours, strokes = red_bar()
    err = {}
    for target in ("scribbled", "edit"):
        res = api.Run(api.scribble_edit(G, x1, colours, strokes, init_latent={"ws": w1, "noise": n1}, w_steps=0,
                                        noise_steps=30, noise_lr=0.5, noise_target=target, yield_every=30)).run()
        err[target] = distance_to_red(res.image, res.extras["strokes"] > 0.5)
    assert err["scribbled"] < err["edit"]
    with pytest.raises(ValueError, match="noise_target"):
        next(api.scribble_edit(G, x1, colours, strokes, noise_target="strokes"))


def test_embedding_starts_from_the_encoder(G, images):
    (w1, n1, x1), _ = images
    calls = []

    def encoder(x):  # a stand-in "encoder" that records its input and answers the true latent
        calls.append(x.shape)
        return w1

    colours = np.zeros((32, 32, 3), np.uint8)
    strokes = np.zeros((32, 32), np.float32)
    strokes[0:4, 0:4] = 1
    res = api.Run(api.scribble_edit(G, x1, colours, strokes, encoder=encoder, embed_steps=1, w_steps=0,
                                    noise_steps=0, yield_every=1)).run()
    assert calls == [(1, 3, G.resolution, G.resolution)]
    assert (res.ws - w1).abs().max() < 0.05  # one Adam step (lr 0.01) from En(x), not from w_avg


def test_local_style_runs_and_streams(G, images):
    (w1, n1, x1), (_, _, x2) = images
    mask = square_mask(G.resolution, 0, 8)
    run = api.Run(api.local_style(G, x1, x2, mask, init_latent={"ws": w1, "noise": n1}, w_steps=3, noise_steps=2,
                                  noise_lr=0.05, yield_every=1))
    prog = list(run)
    assert [p.stage for p in prog] == ["M_st"] * 3 + ["Mk_n"] * 2
    assert "style" in prog[0].losses
    assert torch.isfinite(run.result.image).all()


def test_feature_transfer_embeds_and_copies(G, images):
    (_, _, x1), (_, _, x2) = images
    mask = square_mask(G.resolution, 0, 8)
    run = api.Run(api.feature_transfer(G, x1, x2, mask, embed_steps=4, yield_every=2))
    prog = list(run)
    # both images are embedded in one batch: one stage, previews side by side
    assert [p.step for p in prog] == [2, 4] and prog[-1].total == 4 and prog[0].stage == "embed 1+2"
    assert prog[0].image.shape[-1] == 2 * G.resolution
    res = run.result
    assert res.extras["layer"] == api.paper_layer(G)
    assert not torch.equal(res.image, res.extras["image_1"])
    # batching does not couple the two embeddings: image 2's latent is what embedding it alone from the
    # same start with the same noise gives (Adam is per entry; only its eps sees the batch-mean scale)
    w_avg = G.w_avg.reshape(1, 1, -1).repeat(1, G.num_ws, 1)
    lat2 = res.extras["latent_2"]
    alone = api.Run(api.W_l(G, x2, ws=w_avg, noise=lat2["noise"], steps=4)).run()
    moved = (alone.ws - w_avg).abs().max()
    assert moved > 0 and (lat2["ws"] - alone.ws).abs().max() < 1e-3 * moved
    assert not torch.equal(res.extras["latent_1"]["ws"], lat2["ws"])


def test_cancel_closes_the_engine_cleanly(G, images):
    (_, _, a), (_, _, b) = images
    gen = api.crossover(G, a, b, square_mask(G.resolution, 4, 12), w_steps=50, noise_steps=50, perceptual=0.0,
                        yield_every=1)
    run = api.Run(gen)
    it = iter(run)
    first = next(it)
    assert first.step == 1
    inner = gen.gi_yieldfrom  # the running engine stage
    assert inner is not None
    run.close()
    assert gen.gi_frame is None and inner.gi_frame is None
    assert run.result is None


def run_until_stopped(gen, at_step: int):
    """(the finished ``api.Run`` of ``gen``, the steps it streamed), with Stop pressed at ``at_step``."""
    from hub.nn.stop import StopFlag, stop_scope

    flag = StopFlag()
    with stop_scope(flag):
        run = api.Run(gen)
        steps = []
        for p in run:
            steps.append(p.step)
            if p.step >= at_step:
                flag.set()
    return run, steps


@pytest.mark.parametrize("application", ["crossover", "feature_transfer"])
def test_stop_keeps_the_partial_result(G, images, application):
    (_, _, x1), (_, _, x2) = images
    mask = square_mask(G.resolution, 4, 12)
    gen = (api.crossover(G, x1, x2, mask, w_steps=10, noise_steps=10, perceptual=0.0, yield_every=2)
           if application == "crossover" else
           api.feature_transfer(G, x1, x2, mask, embed_steps=10, noise_steps=10, yield_every=2))
    run, steps = run_until_stopped(gen, at_step=4)
    res = run.result
    assert steps[-1] < 20, steps
    assert res is not None and res.extras["stopped"] and not res.completed
    assert res.ws is not None and torch.isfinite(res.image).all()


def test_crossover_and_reconstruction_start_from_the_encoder(G, images):
    (_, _, x1), (_, _, x2) = images
    code = G.w_avg.reshape(1, 1, -1).repeat(1, G.num_ws, 1) + 0.25
    seen = []

    def encoder(x):  # records what it is shown; answers a fixed code
        seen.append(x.clone())
        return code

    run = api.Run(api.crossover(G, x1, x2, square_mask(G.resolution, 4, 12), w_steps=0, noise_steps=0,
                                encoder=encoder))
    run.run()
    assert torch.equal(run.result.ws, code) and torch.allclose(seen[0], x1.clamp(-1, 1), atol=1e-2)
    run = api.Run(api.reconstruct(G, x1, w_steps=1, noise_steps=0, perceptual=0.0, init="encoder", encoder=encoder))
    run.run()
    assert len(seen) == 2 and (run.result.ws - code).abs().max() < 0.05  # one Adam step (lr 0.01) from En(x)
