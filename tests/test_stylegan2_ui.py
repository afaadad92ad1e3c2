"""The Sample tab and the sampling API, end to end through the hub (embedded stylegan2-emoji64)."""

from __future__ import annotations

import pytest
import torch

import plugins.stylegan2.plugin as sg2
from plugins.stylegan2 import sample as api


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    """One intra-op thread: on a shared 2-core machine two spinning OpenMP threads cost far more than they give."""
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


def test_parse_seeds():
    assert api.parse_seeds("0-3, 7") == [0, 1, 2, 3, 7]
    assert api.parse_seeds("5") == [5]
    for bad in ("", "a", "5-2", "0-100"):
        with pytest.raises(ValueError):
            api.parse_seeds(bad)


def test_sample_api_mixing_groups_with_the_embedded_model():
    from hub.testing import make_hub

    hub = make_hub([sg2], strict=True)
    assert hub.models.models_for("LatentGenerator")[0] == "stylegan2-emoji64"
    G = hub.models.get_model("stylegan2-emoji64")
    groups = api.mixing_groups(G)
    assert G.num_ws == 10 and groups["coarse"] == (0, 1, 2) and groups["middle"] == (3, 4, 5, 6)
    assert groups["fine"] == (7, 8, 9)
    a = api.sample(G, [1, 2], psi=0.7)
    assert a.shape == (2, 3, 64, 64) and a.min() >= -1 and a.max() <= 1
    torch.testing.assert_close(api.sample(G, [1, 2], psi=0.7), a)  # seeds are reproducible
    mean = api.sample(G, [1, 2], psi=0.0)
    torch.testing.assert_close(mean[0], mean[1])
    mixed = api.sample(G, [1], psi=0.7, mix_seed=2, mix_group="fine")
    assert not torch.allclose(mixed[0], a[0])
    every = api.sample(G, [1], psi=0.7, mix_seed=2, mix_group=range(G.num_ws))
    torch.testing.assert_close(every[0], a[1])


def test_default_samples_are_not_mixed_and_the_mix_seed_is_optional():
    from hub.testing import make_app

    app = make_app([sg2], strict=True)
    params = {p["parameter_name"]: p for p in app.get_api_info()["named_endpoints"]["/stylegan2_generate"]["parameters"]}
    mix = params["mix_seed"]
    assert mix["parameter_has_default"] and mix["parameter_default"] in ("", None)  # empty: no mixing
    [mix_box] = [b for b in app.blocks.values() if getattr(b, "label", None) == "Mix with seed (empty: no mixing)"]
    assert mix_box.value in ("", None)
    [fn] = [f.fn for f in app.fns.values() if getattr(f, "api_name", None) == "stylegan2_generate"]
    from PIL import Image

    gallery, _ = fn("stylegan2-emoji64", "1-2")  # every other input at its default
    assert [caption for _, caption in gallery] == ["seed 1, ψ=0.7", "seed 2, ψ=0.7"]
    G = app.ganhub.models.get_model("stylegan2-emoji64")
    unmixed = api.to_pils(api.sample(G, [1, 2], 0.7))
    assert [im.resize((64, 64), Image.NEAREST).tobytes() for im, _ in gallery] == [im.tobytes() for im in unmixed]


@pytest.mark.slow
def test_sample_tab_through_the_client(tmp_path):
    from gradio_client import Client

    from hub.testing import launch_for_test, make_app

    app = make_app([sg2], strict=True)
    with launch_for_test(app) as url:
        client = Client(url, verbose=False)
        gallery, grid = client.predict("stylegan2-emoji64", "0-3", 0.7, "5", "middle", api_name="/stylegan2_generate")
        assert len(gallery) == 4 and grid.endswith(".png")
        from PIL import Image

        assert Image.open(grid).size == (256, 64)
        with pytest.raises(Exception, match="not a seed"):
            client.predict("stylegan2-emoji64", "x", api_name="/stylegan2_generate")
        with pytest.raises(Exception, match="mix seed"):
            client.predict("stylegan2-emoji64", "0", 0.7, "-3", api_name="/stylegan2_generate")



@pytest.mark.parametrize("plugin", ["stylegan2", "srgan", "text_to_image", "style_transfer"])
def test_every_action_documents_each_input_for_the_api_page_and_mcp(plugin):
    """The Sample, Super-resolution, Text-to-image and Style-transfer tabs: each public action's handler has an
    Args line for every input (Gradio's API page and MCP tool descriptions read them)."""
    import importlib

    from gradio.utils import get_function_description

    from hub.testing import make_app

    app = make_app([importlib.import_module(f"plugins.{plugin}.plugin")], strict=True)
    actions = [f for f in app.fns.values() if f.fn is not None and f.api_visibility != "private"
               and str(f.api_name).startswith(f"{plugin}_") and f.api_name != f"{plugin}_load_example"]
    assert actions
    for f in actions:
        described = get_function_description(f.fn)[1]
        assert all(text for name, text in described.items() if name != "progress"), (f.api_name, described)
