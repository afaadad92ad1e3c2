"""
Resolution order for a weight id (first hit wins; every file is sha256-checked before its
first load in the process):

1. the user override folder (env ``GANHUB_WEIGHTS_DIR``): ``<id>.safetensors`` or the spec's
   file name. The user's own file, so it is not held to the manifest's digest (logged);
2. the embedded file (``weights/…`` next to the manifest) when it is *the same file* as the
   Hub copy (or there is no Hub copy);
3. for upstream files that need a converter: the conversion cache
   (``$GANHUB_CACHE/converted/<id>.safetensors``, written by ``ganhub weights convert ID``);
4. the Hugging Face cache (``try_to_load_from_cache``: no HTTP at all);
5. a Hub download (``hf_hub_download`` into the standard HF cache, ``endpoint=HF_ENDPOINT``
   read at call time);
6. an embedded *stand-in* (an entry whose ``embedded_sha256`` differs from the Hub file's
   ``sha256``: a smaller local model used when the Hub copy cannot be had), with a notice.

Offline (``HF_HUB_OFFLINE=1``, or the endpoint does not answer) never crashes: step 5 is
skipped, step 6 is taken with a notice, or ``WeightUnavailable`` says what to do.
Only safetensors are loaded at run time; ``convert`` is the one place a pickle is read,
with ``torch.load(weights_only=True)``.

Run ``python -m hub.weights --help`` (or ``ganhub weights --help``) for the command line.

The package is split by responsibility, each module importing only those before it:
``errors`` and ``env`` ← ``integrity`` ← ``manifest`` ← ``convert`` ← ``store`` ← ``load``, ``rehash`` ← ``cli``.
"""

from __future__ import annotations

from hub.weights.cli import add_weights_cli
from hub.weights.convert import pick_state_dict
from hub.weights.env import (BUILTIN_MANIFEST, FORMATS, REPO_ROOT, WHERE, _PROBES, ganhub_cache_dir, hf_cache_dir,
                             hf_endpoint, hf_offline)
from hub.weights.errors import DuplicateWeightError, ManifestError, WeightIntegrityError, WeightUnavailable
from hub.weights.integrity import _VERIFIED, replace_unless_same_tensors, sha256_file, tensors_sha256
from hub.weights.load import load_safetensors
from hub.weights.manifest import load_manifest
from hub.weights.rehash import rehash_manifest
from hub.weights.store import WeightStatus, WeightStore

__all__ = [
    "WeightStore",
    "WeightStatus",
    "WeightUnavailable",
    "WeightIntegrityError",
    "DuplicateWeightError",
    "ManifestError",
    "load_manifest",
    "load_safetensors",
    "sha256_file",
    "tensors_sha256",
    "replace_unless_same_tensors",
    "pick_state_dict",
    "rehash_manifest",
    "add_weights_cli",
    "hf_offline",
    "hf_endpoint",
    "hf_cache_dir",
    "ganhub_cache_dir",
    "BUILTIN_MANIFEST",
    "REPO_ROOT",
    "FORMATS",
    "WHERE",
    "_PROBES",
    "_VERIFIED",
]
