"""hub.weights.tensors_sha256: same tensors give the same digest whatever the metadata; any weight change shows."""

import torch
from safetensors.torch import save_file

from hub.weights import sha256_file, tensors_sha256


def test_tensors_sha256_ignores_metadata_but_not_weights(tmp_path):
    tensors = {"a.weight": torch.arange(6.0).reshape(2, 3), "b.bias": torch.ones(4, dtype=torch.float16)}
    save_file(tensors, str(tmp_path / "one.safetensors"), metadata={"step": "1", "note": "x"})
    save_file(tensors, str(tmp_path / "two.safetensors"), metadata={"note": "y", "step": "2", "extra": "z"})
    assert sha256_file(tmp_path / "one.safetensors") != sha256_file(tmp_path / "two.safetensors")
    assert tensors_sha256(tmp_path / "one.safetensors") == tensors_sha256(tmp_path / "two.safetensors")
    changed = dict(tensors, **{"a.weight": tensors["a.weight"] + 1e-3})
    save_file(changed, str(tmp_path / "three.safetensors"), metadata={"step": "1", "note": "x"})
    assert tensors_sha256(tmp_path / "three.safetensors") != tensors_sha256(tmp_path / "one.safetensors")
    renamed = {"c.weight" if k == "a.weight" else k: v for k, v in tensors.items()}
    save_file(renamed, str(tmp_path / "four.safetensors"))
    assert tensors_sha256(tmp_path / "four.safetensors") != tensors_sha256(tmp_path / "one.safetensors")


def test_replace_unless_same_tensors_keeps_an_unchanged_file(tmp_path):
    from hub.weights import replace_unless_same_tensors

    tensors = {"w": torch.arange(4.0)}
    dest, new = tmp_path / "w.safetensors", tmp_path / ".w.tmp"
    save_file(tensors, str(dest), metadata={"a": "1", "b": "2"})
    before = dest.read_bytes()
    save_file(tensors, str(new), metadata={"b": "2", "a": "1", "c": "3"})
    assert replace_unless_same_tensors(new, dest) is False and not new.exists() and dest.read_bytes() == before
    save_file({"w": torch.arange(4.0) + 1}, str(new))
    assert replace_unless_same_tensors(new, dest) is True and not new.exists()
    assert dest.read_bytes() != before
