"""hub.training: checkpoints survive interruption and resume, runs stop when asked, exports rehash only their entry."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import torch

from hub.training import (RunControl, export_embedded, latest_checkpoint, load_checkpoint, psnr, render_card,
                          save_checkpoint, ssim)
from hub.weights import load_manifest, sha256_file

ROOT = Path(__file__).resolve().parents[1]


def _net(seed: int) -> torch.nn.Module:
    torch.manual_seed(seed)
    return torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4))


def test_checkpoints_resume_exactly_and_keep_the_newest(tmp_path):
    net, other = _net(0), _net(1)
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    net(torch.randn(5, 3)).sum().backward()
    opt.step()
    for step in (10, 20, 30):
        save_checkpoint(tmp_path, step, {"G": net}, {"G": opt}, {"note": step}, keep=2)
    assert sorted(p.name for p in tmp_path.glob("ckpt-*")) == ["ckpt-00000020", "ckpt-00000030"]
    ckpt = latest_checkpoint(tmp_path)
    assert ckpt.name == "ckpt-00000030"
    opt2 = torch.optim.Adam(other.parameters(), lr=1e-3)
    state = load_checkpoint(ckpt, {"G": other}, {"G": opt2})
    assert state == {"step": 30, "note": 30}
    assert all(torch.equal(a, b) for a, b in zip(net.state_dict().values(), other.state_dict().values()))
    assert torch.equal(opt2.state_dict()["state"][0]["exp_avg"], opt.state_dict()["state"][0]["exp_avg"])


def test_an_interrupted_write_leaves_the_previous_checkpoint(tmp_path):
    save_checkpoint(tmp_path, 1, {"G": _net(0)})
    (tmp_path / ".tmp-ckpt-00000002").mkdir()  # a process killed half-way through step 2
    assert latest_checkpoint(tmp_path).name == "ckpt-00000001"
    (tmp_path / "latest.json").write_text(json.dumps({"dir": "../elsewhere"}))
    assert latest_checkpoint(tmp_path) is None  # the pointer never leaves the run folder
    assert latest_checkpoint(tmp_path / "fresh") is None


def test_run_control_stops_on_steps_stop_file_and_minutes(tmp_path):
    control = RunControl(tmp_path, steps=3)
    assert [control.running(s) for s in range(4)] == [True, True, True, False] and control.reason == "steps"
    (tmp_path / "STOP").touch()
    control = RunControl(tmp_path, steps=100)
    assert not control.running(0) and control.reason == "STOP file"
    (tmp_path / "STOP").unlink()
    control = RunControl(tmp_path, steps=100, minutes=1e-9)
    assert not control.running(0) and control.reason == "minutes"


def test_export_rewrites_only_its_own_entry(tmp_path):
    """Re-exporting the SRResNet must leave the SRGAN entry and every Hub entry of the srgan manifest as they were."""
    plugin = ROOT / "plugins" / "srgan"
    (tmp_path / "weights").mkdir()
    for wid in ("srgan-srresnet-x4", "srgan-srgan-x4"):
        shutil.copy(plugin / "weights" / f"{wid}.safetensors", tmp_path / "weights")
    manifest = tmp_path / "weights.yaml"
    manifest.write_text((plugin / "weights.yaml").read_text())
    before = {s.id: s for s in load_manifest(manifest)}
    tensors = {"w": torch.arange(6.0).reshape(2, 3)}
    out = export_embedded("srgan-srresnet-x4", tensors, lambda path: f"# card\nsha {sha256_file(path)}\n", manifest)
    after = {s.id: s for s in load_manifest(manifest)}
    assert out == tmp_path / "weights" / "srgan-srresnet-x4.safetensors"
    assert after["srgan-srresnet-x4"].sha256 == sha256_file(out) != before["srgan-srresnet-x4"].sha256
    assert (tmp_path / "weights" / "srgan-srresnet-x4.md").read_text() == f"# card\nsha {sha256_file(out)}\n"
    assert {k: v for k, v in after.items() if k != "srgan-srresnet-x4"} == {
        k: v for k, v in before.items() if k != "srgan-srresnet-x4"}
    mtime = out.stat().st_mtime_ns
    export_embedded("srgan-srresnet-x4", tensors, "# card\n", manifest)  # same tensors: the file stays
    assert out.stat().st_mtime_ns == mtime
    with pytest.raises(ValueError, match="no embedded entry 'nope'"):
        export_embedded("nope", tensors, "", manifest)


def test_card_templates_and_metrics(tmp_path):
    template = tmp_path / "card_template.md"
    template.write_text("# {name}\n\nPSNR {psnr:.1f} dB\n")
    assert render_card(template, name="m", psnr=31.234) == "# m\n\nPSNR 31.2 dB\n"
    a = torch.zeros(2, 3, 8, 8)
    b = a.clone()
    b[1] += 0.2  # 0.1 on the [0, 1] scale: 20 dB
    assert torch.allclose(psnr(a, b)[1], torch.tensor(20.0), atol=1e-4) and psnr(a, b)[0] > 90
    assert ssim(a, a).allclose(torch.ones(2)) and ssim(a, torch.rand(2, 3, 8, 8) * 2 - 1).max() < 0.5


def test_loss_log_averages_over_its_window():
    from hub.training import LossLog

    losses = LossLog(seconds=3600)
    losses.add({"d": 1.0, "g": torch.tensor(3.0)})
    losses.add({"d": 2.0, "g": torch.tensor(5.0)})
    assert losses.means() == {"d": 1.5, "g": 4.0} and not losses.due()
    assert losses.line(7, 2e-4).startswith("step 7 d 1.5000 g 4.0000 lr 2.00e-04 | ")
    losses.reset()
    assert losses.means() == {} and LossLog(seconds=0).due()


def test_resume_keeps_this_runs_learning_rate_and_fills_tensor_dicts(tmp_path):
    """keep_lr restores Adam's moments but not the old run's lr: a resume with a new --lr (to anneal a
    run, say) must train at the new rate. A plain dict of tensors (an RNG state) comes back filled."""
    p = torch.nn.Parameter(torch.ones(3))
    old = torch.optim.Adam([p], lr=1e-4)
    p.sum().backward()
    old.step()
    rng = torch.get_rng_state()
    save_checkpoint(tmp_path, 1, {"rng": {"torch": rng}}, {"E": old})
    q = torch.nn.Parameter(p.detach().clone())
    new, loaded = torch.optim.Adam([q], lr=3e-5), {}
    load_checkpoint(latest_checkpoint(tmp_path), {"rng": loaded}, {"E": new}, keep_lr=True)
    assert new.param_groups[0]["lr"] == 3e-5 and torch.equal(loaded["torch"], rng)
    assert torch.equal(new.state[q]["exp_avg"], old.state[p]["exp_avg"])
    again = torch.optim.Adam([q], lr=3e-5)
    load_checkpoint(latest_checkpoint(tmp_path), None, {"E": again})
    assert again.param_groups[0]["lr"] == 1e-4  # without keep_lr the saved run's rate comes back


def test_export_into_a_folder_touches_no_manifest(tmp_path):
    out = export_embedded("some-weight", {"w": torch.ones(2)}, "# card\n", folder=tmp_path / "look")
    assert out == tmp_path / "look" / "some-weight.safetensors" and (out.stat().st_mode & 0o777) == 0o644
    assert (tmp_path / "look" / "some-weight.md").read_text() == "# card\n"
    with pytest.raises(ValueError, match="manifest"):
        export_embedded("some-weight", {"w": torch.ones(2)}, "")


def test_run_control_checkpoint_cadence_and_time(tmp_path):
    control = RunControl(tmp_path, steps=None, every=2)
    assert control.running(10 ** 9) and [control.checkpoint_due(s) for s in (1, 2, 3, 4)] == [False, True, False, True]
    assert RunControl(tmp_path, steps=None, every_minutes=0).checkpoint_due(1)
    state = control.add_time({"cpu_seconds": 5.0})
    assert state["cpu_seconds"] >= 5.0 and state["wall_seconds"] >= 0 and "cuda_seconds" not in state
    assert "cuda_seconds" in control.add_time({}, "cuda:0")


def test_a_restarted_run_keeps_its_new_checkpoint(tmp_path):
    """--fresh writes lower step numbers than the old run's: the newest written stays, not the highest step."""
    for step in (5, 6):
        save_checkpoint(tmp_path, step, {"G": _net(0)})
    save_checkpoint(tmp_path, 1, {"G": _net(1)}, keep=2)
    assert latest_checkpoint(tmp_path).name == "ckpt-00000001"
    assert sorted(p.name for p in tmp_path.glob("ckpt-*")) == ["ckpt-00000001", "ckpt-00000006"]
