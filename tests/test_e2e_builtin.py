"""The real app, with every installed plugin (built-ins through their entry points), through its front ends.

The fixture-plugin tests (test_e2e_client.py, test_e2e_browser.py) pin the shell's behaviour; these pin
that the shipped plugins load cleanly together and that every public endpoint of the app a user runs
answers through gradio_client, with inputs a user would give (files, ImageEditor layers) and step
counts cut to a few so the suite stays fast.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from hub.app import build_app, public_api_names
from hub.plugins import get_hub

REPO = Path(__file__).resolve().parents[1]
FACE = REPO / "plugins" / "i2s_plusplus" / "examples" / "face_a.png"
FACE_B = REPO / "plugins" / "i2s_plusplus" / "examples" / "face_c.png"
PHOTO = REPO / "plugins" / "srgan" / "examples" / "coffee.png"
STYLE = REPO / "plugins" / "style_transfer" / "examples" / "style_graf3.png"
BUILTINS = {"emoji", "stylegan2", "wplus_editing", "attribute_vectors", "i2s_plusplus", "inpainting", "srgan",
            "style_transfer", "text_to_image", "remote", "drag_editing", "lapgan", "image_translation"}


@pytest.fixture(scope="module")
def full_app():
    """The app `python app.py` serves: every installed plugin (no allow/block list from the environment)."""
    import os

    from hub.plugins import Hub, set_default_hub

    saved = {k: os.environ.pop(k) for k in ("GANHUB_PLUGINS", "GANHUB_DISABLE") if k in os.environ}
    try:  # a Hub of its own: an earlier test's default hub may hold an allowlist
        hub = Hub()
        set_default_hub(hub)
        return build_app(hub=hub)
    finally:
        os.environ.update(saved)


def test_every_installed_plugin_loads_and_builds_its_tab_without_errors(full_app):
    statuses = get_hub().statuses
    assert BUILTINS <= set(statuses), sorted(statuses)
    broken = {name: status.errors for name, status in statuses.items() if status.state != "ok"}
    assert not broken, broken
    names = public_api_names(full_app)
    assert len(names) == len(set(names))
    owners = full_app.ganhub_api_names
    for name in names:  # every public endpoint is namespaced by the plugin that owns it
        assert name == "hub_status" or name.startswith(owners[name] + "_"), (name, owners.get(name))


def test_building_the_full_app_imports_no_torch():
    """Start-up stays fast: every tab builds without torch; models load at the first event."""
    import os
    import subprocess
    import sys

    code = ("import sys; from hub.app import build_app; from hub.plugins import get_hub; build_app(); "
            "print('torch' in sys.modules); print(get_hub().notices)")
    env = {k: v for k, v in os.environ.items() if k not in ("GANHUB_PLUGINS", "GANHUB_DISABLE")}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, cwd=REPO, env=env)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.splitlines()[-2:] == ["False", "[]"], out.stdout


def _strokes(path: Path, size: tuple[int, int], box: tuple[int, int, int, int], colour=(220, 40, 40)) -> Path:
    """An ImageEditor layer: transparent, with an opaque painted rectangle (what the brush leaves)."""
    layer = np.zeros((size[1], size[0], 4), np.uint8)
    x0, y0, x1, y1 = box
    layer[y0:y1, x0:x1] = (*colour, 255)
    Image.fromarray(layer, "RGBA").save(path)
    return path


def _editor(handle_file, background: Path, layer: Path) -> dict:
    return {"background": handle_file(str(background)), "layers": [handle_file(str(layer))],
            "composite": handle_file(str(background))}


LEAST = object()


def _is_png(path) -> bool:
    return Path(path).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.slow
def test_every_public_endpoint_of_the_full_app_answers(full_app, launch, tmp_path):
    from gradio_client import Client, handle_file

    client = Client(launch(full_app), verbose=False)
    w, h = Image.open(FACE).size
    stroke = _strokes(tmp_path / "stroke.png", (w, h), (w // 3, h // 3, w // 2, h // 2))
    edit = lambda: _editor(handle_file, FACE, stroke)  # noqa: E731
    face, face_b = handle_file(str(FACE)), handle_file(str(FACE_B))
    gen = "stylegan2-emoji64"
    results: dict[str, object] = {}

    components = {c["id"]: c.get("props", {}) for c in client.config["components"]}
    inputs = {"/" + d["api_name"]: d["inputs"] for d in client.config["dependencies"] if d.get("api_name")}

    def call(api, *args):
        """Predict; a LEAST argument becomes the slider's minimum, at least 1 (step counts cut to the fewest)."""
        args = [max(1, components[inputs[api][i]].get("minimum") or 0) if a is LEAST else a
                for i, a in enumerate(args)]
        results[api] = client.predict(*args, api_name=api)
        return results[api]

    # StyleGAN2 sampling and W+ editing; random samples give the latent files the latent tools take
    gallery, grid = call("/stylegan2_generate", gen, "0-1", 0.7, "3", "fine")
    assert len(gallery) == 2 and _is_png(grid)
    latents = []
    for slot, seed in (("A", 1), ("B", 2), ("C", 3)):
        out = call("/wplus_editing_random_sample", gen, seed, 0.7, slot)
        files = [o for o in (out if isinstance(out, (list, tuple)) else [out])
                 if isinstance(o, str) and o.endswith(".safetensors")]
        assert files, out
        latents.append(handle_file(files[0]))
    a, b, c = latents
    call("/wplus_editing_invert", gen, face, "optimisation", True, "A", "w+", LEAST, LEAST, 0.01, 5.0, 1.0, 1.0, 0.0, 0.0,
         "w_avg", 0, 1, None)
    call("/wplus_editing_morph", gen, a, b, 0.5)
    call("/wplus_editing_morph_gif", gen, a, b, LEAST)
    call("/wplus_editing_mix", gen, a, b, "fine", None)
    call("/wplus_editing_transfer", gen, a, b, c, 1.0, None)
    call("/wplus_editing_truncate", gen, a, 0.7)
    call("/wplus_editing_scribble_edit", gen, a, edit(), LEAST, 0.01, 0.1, 0.0, 0.0, "")

    # attribute vectors: the tab keeps its latent in session state, so invert first, then move sliders
    call("/attribute_vectors_sample", gen, 0, 0.7)
    call("/attribute_vectors_labelfree_row", gen, "SeFa (closed form, milliseconds)", "all", 0)
    call("/attribute_vectors_invert", gen, face, LEAST)
    api = client.view_api(print_info=False, return_format="dict")["named_endpoints"]
    sliders = len(api["/attribute_vectors_apply"]["parameters"]) - 3
    call("/attribute_vectors_apply", gen, "all", None, *([0.5] + [0.0] * (sliders - 1)))
    call("/attribute_vectors_direction_from_sets", gen, [face, face_b], [face_b, face], LEAST)

    # Image2StyleGAN++ and inpainting, each with a couple of steps per phase
    call("/i2s_plusplus_reconstruct", gen, face, LEAST, LEAST, 1.0, "w_avg", 0)
    call("/i2s_plusplus_crossover", gen, face, _editor(handle_file, FACE_B, stroke), LEAST, LEAST, None, 1.0, 1.0, 1.0, 5.0, 0)
    call("/i2s_plusplus_scribbles", gen, edit(), None, LEAST, LEAST, LEAST, 1.0, 1.0, 1.0, 5.0, 0)
    call("/i2s_plusplus_local_style", gen, edit(), face_b, 0.05, None, LEAST, LEAST, LEAST, 1.0, 1.0, 5.0, 0)
    call("/i2s_plusplus_feature_transfer", gen, face, _editor(handle_file, FACE_B, stroke), None, "spatial", 0.5,
         None, LEAST, LEAST, 0)
    call("/inpainting_inpaint", gen, edit(), LEAST, LEAST, None, None, None, 1.0, 1.0, 10.0, 5.0, "telea", 0,
         "w_avg (paper)")
    call("/inpainting_variations", gen, edit(), LEAST, LEAST, None, None, None, 1.0, 1.0, 10.0, 5.0, 2, 0.4, 0)

    # super-resolution, style transfer, text-to-image
    small = tmp_path / "small.png"
    Image.open(PHOTO).convert("RGB").crop((0, 0, 48, 40)).save(small)
    call("/srgan_upscale", handle_file(str(small)), "srgan-srresnet-x4", "4", False, 256)
    call("/style_transfer_run", handle_file(str(small)), handle_file(str(STYLE)), None, "AdaIN",
         "AdaIN (embedded, trained here)", 1.0, 0.5, "none",
         LEAST, 10000.0, LEAST)
    call("/text_to_image_generate", "text-to-image-emoji64", "a man with red hair", 0, 2, 0)
    call("/text_to_image_interpolate", "text-to-image-emoji64", "a man with red hair", "a bald woman", LEAST, 0, 0)
    call("/text_to_image_restyle", "text-to-image-emoji64", face, "a woman with blond hair")
    call("/hub_status")

    # drag editing: a sample to drag; with no handle/target pair the drag is refused with a sentence
    call("/drag_editing_new_image", gen, 3, None)
    with pytest.raises(Exception, match="Click a handle point"):
        client.predict(gen, "", 10, 1, api_name="/drag_editing_drag")
    call("/drag_editing_drag", gen, "30,30 -> 30,33", 10, 1)

    # LAPGAN: samples, redrawn detail of one coarse image, and your own image as the coarse one
    call("/lapgan_generate", 0, 2, "any", "any")
    call("/lapgan_variations", 0, 1, 2)
    call("/lapgan_refine", face, 0)

    # image translation: Pix2Pix from the edges of an uploaded image, CycleGAN both ways
    call("/image_translation_pix2pix", "Edges of an uploaded image", None, face, "pix2pix-edges2emoji64", 2, 0)
    call("/image_translation_cyclegan", face, "cyclegan-noto-twemoji64", "noto2twemoji")

    # what a pip-installed third-party plugin adds (examples/ganhub-example-plugin), when present
    if "/pixelart_pixelate" in api:
        call("/pixelart_pixelate", face, 8, 16, False)

    # every public endpoint was called: a new event without a call here fails this test
    skipped = {"/text_to_image_generate_submit"}  # the same function as /text_to_image_generate (Enter in the box)
    assert set(api) - skipped == set(results), sorted(set(api) - skipped - set(results))


@pytest.mark.browser
def test_browser_visits_every_tab_of_the_full_app_and_samples_faces(full_app, launch, browser):
    url = launch(full_app)
    demos = get_hub().demos
    titles_expected = [d.title for d in sorted(demos.values(), key=lambda d: (d.order, d.id))]
    page = browser.new_page(viewport={"width": 2560, "height": 1200})  # wide: no tab folds into the overflow menu
    # Generous: every tab renders its first view as the page opens, and the first click on a tab mounts
    # its components while those arrive (over 20 s on a loaded 2-core machine).
    page.set_default_timeout(90_000)
    page.goto(url)
    tabs = page.get_by_role("tab")
    tabs.first.wait_for()
    titles = [t.strip() for t in tabs.all_inner_texts()]
    assert titles == titles_expected + ["Plugins & weights"]
    for title in reversed(titles):  # every tab opens; no tab shows the error box of a failed build
        page.get_by_role("tab", name=title, exact=True).click()
    assert page.get_by_text("This tab failed to build").count() == 0
    page.get_by_role("tab", name=demos["stylegan2_sample"].title, exact=True).click()
    pngs = "() => [...document.querySelectorAll('img')].filter(e => e.checkVisibility() && e.src.includes('.png'))"
    page.wait_for_function(f"({pngs})().length >= 8")  # the tab opens with its first view: 8 samples
    before = page.evaluate(f"({pngs})().map(e => e.src)")
    # Gradio serves files by content hash, so new pixels (other seeds) are what makes new addresses.
    page.get_by_label("Seeds").first.fill("8-15")
    page.get_by_role("button", name="Generate", exact=True).first.click()
    page.wait_for_function(f"(old) => {{ const now = ({pngs})().map(e => e.src); "
                           f"return now.length >= 8 && now.some(src => !old.includes(src)); }}", arg=before)
    srcs = page.evaluate(f"({pngs})().map(e => e.src)")
    assert sum(".png" in src for src in srcs) >= 8, srcs  # the 8 samples, served as PNG, drawn anew
    page.close()
