"""hub.images: every upload path, the editor masks (through the real gr.ImageEditor.preprocess), tensors, PNG out."""

from __future__ import annotations

import io
import logging
import os
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from hub import images as I


def _png_bytes(im: Image.Image) -> bytes:
    buf = io.BytesIO()
    im.save(buf, format="PNG")
    return buf.getvalue()


def _assert_near(pixel, expected, tol=12):
    assert all(abs(int(a) - int(b)) <= tol for a, b in zip(pixel, expected)), (pixel, expected)


# --------------------------------------------------------------------------- loading


def test_exif_orientation_is_applied():
    stored = Image.new("RGB", (40, 20), (255, 0, 0))
    stored.paste((0, 0, 255), (20, 0, 40, 20))  # left red, right blue as stored
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90° clockwise to display"
    buf = io.BytesIO()
    stored.save(buf, format="JPEG", exif=exif.tobytes(), quality=95)
    im = I.load_image(buf.getvalue())
    assert im.size == (20, 40)  # portrait as displayed
    _assert_near(im.getpixel((10, 5)), (255, 0, 0), 40)  # the stored left half is now on top
    _assert_near(im.getpixel((10, 35)), (0, 0, 255), 40)


def test_rgba_is_composited_on_white_and_rgba_loader_keeps_alpha():
    rgba = Image.new("RGBA", (16, 16), (0, 0, 0, 0))  # transparent black
    rgba.paste((255, 0, 0, 255), (8, 0, 16, 16))
    rgb = I.load_image(rgba)
    assert rgb.mode == "RGB" and rgb.getpixel((2, 2)) == (255, 255, 255) and rgb.getpixel((12, 2)) == (255, 0, 0)
    kept = I.load_image_rgba(_png_bytes(rgba))
    assert kept.mode == "RGBA" and kept.getpixel((2, 2))[3] == 0 and kept.getpixel((12, 2)) == (255, 0, 0, 255)
    la = Image.new("LA", (16, 16), (0, 0))
    assert I.load_image(la).getpixel((0, 0)) == (255, 255, 255)


def test_palette_grayscale_and_transparent_palette():
    p = Image.new("P", (16, 16), 0)
    p.putpalette([10, 20, 30, 200, 100, 50] + [0] * 762)
    p.paste(1, (0, 0, 8, 16))
    im = I.load_image(_png_bytes(p))
    assert im.getpixel((2, 2)) == (200, 100, 50) and im.getpixel((12, 2)) == (10, 20, 30)
    p.info["transparency"] = 0
    buf = io.BytesIO()
    p.save(buf, format="PNG", transparency=0)
    assert I.load_image(buf.getvalue()).getpixel((12, 2)) == (255, 255, 255)
    assert I.load_image(Image.new("L", (16, 16), 128)).getpixel((3, 3)) == (128, 128, 128)
    assert I.load_image(Image.new("1", (16, 16), 1)).getpixel((3, 3)) == (255, 255, 255)


def test_sixteen_bit_png_is_scaled_not_clipped(tmp_path):
    ramp = np.tile(np.array([0, 257 * 100, 32768, 65535], np.uint16).repeat(4), (16, 1))
    path = tmp_path / "deep.png"
    Image.fromarray(ramp).save(path)
    assert Image.open(path).mode.startswith("I")  # really a 16-bit file
    im = np.asarray(I.load_image(path))
    assert im[0, ::4, 0].tolist() == [0, 100, 128, 255]
    assert np.asarray(I.load_image(ramp))[0, ::4, 1].tolist() == [0, 100, 128, 255]  # uint16 array too


def test_cmyk_jpeg_becomes_rgb():
    buf = io.BytesIO()
    Image.new("CMYK", (32, 32), (0, 255, 255, 0)).save(buf, format="JPEG")  # pure red in CMYK
    im = I.load_image(buf.getvalue())
    assert im.mode == "RGB"
    _assert_near(im.getpixel((16, 16)), (255, 0, 0), 30)
    ycc = Image.new("RGB", (16, 16), (0, 128, 0)).convert("YCbCr")
    _assert_near(I.load_image(ycc).getpixel((1, 1)), (0, 128, 0), 4)


def _png_header_only(width: int, height: int) -> bytes:
    """A PNG that declares width×height but carries one tiny IDAT: a decompression bomb's header."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")


def test_decompression_bombs_are_refused(monkeypatch):
    with pytest.raises(I.ImageError, match="decompression bomb|megapixels"):
        I.load_image(_png_header_only(30000, 30000))  # 900 MP: Pillow's own guard
    with pytest.raises(I.ImageError, match="megapixels"):
        I.load_image(_png_header_only(9000, 9000))  # 81 MP: over our 64 MP default
    monkeypatch.setenv("GANHUB_MAX_PIXELS", "1000")
    with pytest.raises(I.ImageError, match="more than the 0 megapixels|megapixels"):
        I.load_image(Image.new("RGB", (40, 40)))


def test_huge_image_is_downscaled_with_a_notice(monkeypatch, caplog):
    monkeypatch.setenv("GANHUB_MAX_SIDE", "64")
    with caplog.at_level(logging.INFO, logger="ganhub.images"):
        im = I.load_image(Image.new("RGB", (200, 100), (9, 9, 9)), what="content image")
    assert im.size == (64, 32)
    assert "downscaled to 64×32" in im.info["ganhub_notice"] and "content image" in caplog.text
    assert I.load_image(Image.new("RGB", (200, 100)), max_side=50).size == (50, 25)  # the tighter limit wins
    buf = io.BytesIO()
    Image.new("RGB", (400, 200), (200, 10, 10)).save(buf, format="JPEG")  # decoded at reduced scale
    big = I.load_image(buf.getvalue())
    assert big.size == (64, 32)
    _assert_near(big.getpixel((30, 15)), (200, 10, 10), 20)
    assert I.load_image(Image.new("RGB", (60, 30))).size == (60, 30)  # small ones are left alone


def test_bad_inputs_raise_one_plain_sentence(tmp_path):
    import gradio as gr

    cases = {
        "tiny": Image.new("RGB", (4, 30)),
        "text": b"this is not a picture at all",
        "missing": tmp_path / "nope.png",
        "none": None,
    }
    full = _png_bytes(Image.fromarray(np.random.default_rng(0).integers(0, 255, (64, 64, 3), dtype=np.uint8)))
    cases["truncated"] = full[: len(full) // 2]
    cases["garbled"] = full[:40] + b"\x00" * 200 + full[240:]
    expected = {"tiny": "at least 8 pixels", "text": "not an image we can read", "missing": "does not exist",
                "none": "upload one first", "truncated": "not an image we can read",
                "garbled": "not an image we can read"}
    for name, source in cases.items():
        with pytest.raises(gr.Error) as err:  # a real gr.Error: the UI shows it in a modal
            I.load_image(source, what="photo")
        assert expected[name] in str(err.value), (name, str(err.value))
        assert "\n" not in str(err.value) and isinstance(err.value, I.ImageError)


def test_arrays_files_and_gradio_values(tmp_path):
    f = np.zeros((16, 16), np.float32)
    f[:, 8:] = 1.0
    assert np.asarray(I.load_image(f))[0, [0, 15], 0].tolist() == [0, 255]
    assert np.asarray(I.load_image(np.ones((16, 16, 1), bool)))[0, 0].tolist() == [255, 255, 255]
    assert I.load_image(np.full((16, 16, 3), -1.0)).getpixel((0, 0)) == (0, 0, 0)  # the hub's [-1, 1] range
    path = tmp_path / "a b.png"
    Image.new("RGB", (16, 16), (1, 2, 3)).save(path)
    import base64

    uri = "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode()
    for value in (str(path), path, {"path": str(path), "orig_name": "a b.png"}, uri, path.read_bytes(),
                  io.BytesIO(path.read_bytes())):
        assert I.load_image(value).getpixel((0, 0)) == (1, 2, 3), type(value)


# --------------------------------------------------------------------------- editor


def _editor_value(tmp_path: Path, layers: list[Image.Image], kind: str, background: Image.Image | None = None):
    """The value a tab receives, produced by the real gr.ImageEditor.preprocess from uploaded files."""
    import gradio as gr
    from gradio.components.image_editor import EditorData
    from gradio.data_classes import FileData

    bg = background or Image.new("RGB", layers[0].size, (255, 255, 255))
    bg.save(tmp_path / "bg.png")
    files = []
    for i, layer in enumerate(layers):
        layer.save(tmp_path / f"layer{i}.png")
        files.append(FileData(path=str(tmp_path / f"layer{i}.png")))
    composite = bg.convert("RGBA")
    for layer in layers:
        composite = Image.alpha_composite(composite, layer)
    composite.save(tmp_path / "composite.png")
    editor = gr.ImageEditor(type=kind, format="png")
    return editor.preprocess(EditorData(background=FileData(path=str(tmp_path / "bg.png")), layers=files,
                                        composite=FileData(path=str(tmp_path / "composite.png"))))


def _stroke(size, box, colour) -> Image.Image:
    layer = Image.new("RGBA", size, (0, 0, 0, 0))  # the canvas exports RGB 0 under alpha 0
    layer.paste((*colour, 255), box)
    return layer


@pytest.mark.parametrize("kind", ["pil", "numpy", "filepath"])
def test_mask_is_the_union_of_layer_alpha(tmp_path, kind):
    white_stroke = _stroke((40, 30), (5, 5, 15, 15), (255, 255, 255))  # white on white: a diff would miss it
    black_stroke = _stroke((40, 30), (20, 10, 30, 20), (0, 0, 0))
    value = _editor_value(tmp_path, [white_stroke, black_stroke], kind)
    bg, mask = I.mask_from_editor(value)
    assert bg.mode == "RGB" and bg.size == (40, 30) and mask.dtype == np.float32 and mask.shape == (30, 40)
    expected = np.zeros((30, 40), np.float32)
    expected[5:15, 5:15] = 1
    expected[10:20, 20:30] = 1
    np.testing.assert_array_equal(mask, expected)
    _, small = I.mask_from_editor(value, size=(20, 15))  # area average when shrinking
    assert small.shape == (15, 20) and small[5, 12] == 1.0 and 0.0 < small[2, 2] <= 1.0 and small.max() <= 1.0
    _, big = I.mask_from_editor(value, size=80)
    assert big.shape == (80, 80)


def test_empty_drawing_gives_an_empty_mask(tmp_path):
    bg, mask = I.mask_from_editor({"background": Image.new("RGB", (20, 20)), "layers": [], "composite": None})
    assert mask.shape == (20, 20) and mask.max() == 0
    with pytest.raises(I.ImageError, match="upload an image"):
        I.mask_from_editor(None)


def test_mask_from_alpha_hole():
    img = Image.new("RGBA", (20, 10), (50, 60, 70, 255))
    img.paste((0, 0, 0, 0), (0, 0, 5, 10))
    bg, mask = I.mask_from_alpha(img)
    assert mask[:, :5].min() == 1.0 and mask[:, 5:].max() == 0.0
    assert bg.getpixel((1, 1)) == (255, 255, 255) and bg.getpixel((10, 1)) == (50, 60, 70)
    assert np.array_equal(I.mask_from_editor(img)[1], mask)  # a plain RGBA upload works as well


def test_scribbles_colours_and_mask(tmp_path):
    red = _stroke((32, 32), (0, 0, 16, 32), (255, 0, 0))
    green = _stroke((32, 32), (8, 0, 24, 32), (0, 255, 0))  # drawn later, on top
    bg, colours, mask = I.scribbles_from_editor(_editor_value(tmp_path, [red, green], "pil"))
    assert colours.dtype == np.uint8 and colours.shape == (32, 32, 3) and mask.shape == (32, 32)
    assert colours[5, 2].tolist() == [255, 0, 0] and colours[5, 12].tolist() == [0, 255, 0]
    assert colours[5, 30].tolist() == [0, 0, 0] and mask[5, 30] == 0 and mask[5, 20] == 1
    assert mask.sum() == 24 * 32


# --------------------------------------------------------------------------- tensors, files


def test_tensor_round_trip_is_exact():
    arr = np.random.default_rng(1).integers(0, 256, (24, 32, 3), dtype=np.uint8)
    t = I.to_tensor(Image.fromarray(arr))
    assert t.shape == (1, 3, 24, 32) and t.dtype == torch.float32 and t.min() >= -1 and t.max() <= 1
    assert np.array_equal(np.asarray(I.to_pil(t)), arr)
    assert I.to_tensor(Image.fromarray(arr), size=16).shape == (1, 3, 16, 16)
    assert I.to_tensor(Image.fromarray(arr), size=(40, 20)).shape == (1, 3, 20, 40)
    assert I.to_pil(torch.full((2, 3, 8, 8), 5.0)).getpixel((0, 0)) == (255, 255, 255)  # clamped, first item
    assert I.to_pil(torch.zeros(8, 8)).getpixel((0, 0)) == (128, 128, 128)


def test_save_png_is_lossless_and_stays_in_its_folder():
    arr = np.random.default_rng(2).integers(0, 256, (20, 20, 3), dtype=np.uint8)
    a = I.save_png(Image.fromarray(arr), name="../../etc/passwd")
    b = I.save_png(I.to_tensor(Image.fromarray(arr)), name="result")
    for path in (a, b):
        assert Path(path).suffix == ".png" and Path(path).resolve().is_relative_to(I._out_dir().resolve())
        assert np.array_equal(np.asarray(Image.open(path).convert("RGB")), arr)
    assert Path(a).name == "passwd.png" and a != b
    assert I.safe_name("..") == "result" and I.safe_name("my photo (1).JPG") == "my_photo_1_.JPG"


def test_safe_join_refuses_escapes(tmp_path):
    base = tmp_path / "base"
    base.mkdir()
    assert I.safe_join(base, "a", "b.png") == (base / "a" / "b.png").resolve()
    (base / "out").symlink_to(tmp_path)
    for bad in ("../x", "/etc/passwd", "a/../../x", "out/x", "a\x00b"):
        with pytest.raises(I.UnsafePathError):
            I.safe_join(base, bad)
    with pytest.raises(ValueError):
        I.safe_join(base, "a", "..", "..")
    os.fspath(I.safe_join(base, "a/../b"))  # stays inside: allowed


def test_result_folders_are_swept_after_their_time(monkeypatch):
    """A busy server keeps a bounded number of result folders, not one temporary folder per request."""
    import os
    import time

    from hub.images import output_folder, save_png

    first = Path(save_png(Image.new("RGB", (8, 8)), "a")).parent
    old = time.time() - 2 * 3600
    os.utime(first, (old, old))
    monkeypatch.setenv("GANHUB_OUTPUT_MINUTES", "60")
    second = output_folder()
    assert second.is_dir() and second.parent == first.parent and not first.exists()
