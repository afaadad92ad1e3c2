"""Text encoder φ(t) and the joint image–text embedding it is trained with.

Reed et al. (2016) encode captions with a char-CNN-RNN trained by the deep symmetric
structured joint embedding (DS-SJE, Reed et al. CVPR 2016): an image encoder and a text
encoder are trained together so that each image scores its own caption above every
other caption by a margin, and each caption its own image (the "symmetric" part).

Our text encoder is word-level with a character fallback (fastText-style subwords), so
free text from the user always encodes: every word is the sum of hashed embeddings of
the word itself and of its character 2–4-grams (with boundary marks), which gives an
unseen word ("red-haired", "ginger", a typo) a vector near its spelling neighbours.
A bidirectional GRU reads the words in order, so word order changes the embedding,
and mean+max pooling over time followed by a linear layer gives φ(t).
No vocabulary file is needed: hashing is by CRC32, stable across runs and machines.

Sizes, scaled down from Reed's 1024-d φ(t) for a 2-core CPU: 64-d word vectors,
128-unit GRU per direction, 256-d embedding (compressed to 128-d inside G and D, as in
the paper).
"""

from __future__ import annotations

import re
import zlib
from typing import Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F

_WORD = re.compile(r"[a-z0-9]+")
MAX_WORDS = 24


def tokenize(text: str) -> list[str]:
    """Lower-case words; punctuation and hyphens split ("red-haired" -> red, haired)."""
    return _WORD.findall(text.lower())[:MAX_WORDS]


def word_pieces(word: str, n_min: int = 2, n_max: int = 4) -> list[str]:
    """The whole word plus its character n-grams with boundary marks, fastText style."""
    marked = f"<{word}>"
    pieces = [f"w:{word}"]
    for n in range(n_min, n_max + 1):
        pieces.extend(marked[i : i + n] for i in range(len(marked) - n + 1))
    return pieces


class TextEncoder(nn.Module):
    """Caption(s) -> φ(t), unit-norm vectors [N, embed_dim]. Deterministic, no vocabulary."""

    def __init__(self, buckets: int = 1 << 15, word_dim: int = 64, hidden: int = 128, embed_dim: int = 256):
        super().__init__()
        self.buckets, self.word_dim, self.hidden, self.embed_dim = buckets, word_dim, hidden, embed_dim
        self.pieces = nn.EmbeddingBag(buckets, word_dim, mode="mean")
        self.rnn = nn.GRU(word_dim, hidden, batch_first=True, bidirectional=True)
        self.proj = nn.Linear(4 * hidden, embed_dim)
        nn.init.normal_(self.pieces.weight, std=0.1)

    def config(self) -> dict:
        return dict(buckets=self.buckets, word_dim=self.word_dim, hidden=self.hidden, embed_dim=self.embed_dim)

    def _bucket(self, piece: str) -> int:
        return zlib.crc32(piece.encode("utf-8")) % self.buckets

    def tokens(self, texts: Sequence[str]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Flat piece ids, one bag offset per word, and the word count of each caption."""
        ids: list[int] = []
        offsets: list[int] = []
        lengths: list[int] = []
        for text in texts:
            words = tokenize(text) or ["<empty>"]  # an empty prompt still gets a (fixed) vector
            lengths.append(len(words))
            for w in words:
                offsets.append(len(ids))
                ids.extend(self._bucket(p) for p in word_pieces(w))
        return (
            torch.tensor(ids, dtype=torch.long),
            torch.tensor(offsets, dtype=torch.long),
            torch.tensor(lengths, dtype=torch.long),
        )

    def forward(self, texts: Sequence[str] | str) -> torch.Tensor:
        if isinstance(texts, str):
            texts = [texts]
        ids, offsets, lengths = self.tokens(texts)
        device = self.proj.weight.device
        words = self.pieces(ids.to(device), offsets.to(device))  # [total_words, word_dim]
        seqs = torch.split(words, lengths.tolist())
        padded = nn.utils.rnn.pad_sequence(list(seqs), batch_first=True)  # [N, T, word_dim]
        packed = nn.utils.rnn.pack_padded_sequence(padded, lengths, batch_first=True, enforce_sorted=False)
        out, _ = self.rnn(packed)
        out, _ = nn.utils.rnn.pad_packed_sequence(out, batch_first=True)  # [N, T, 2h]
        mask = (torch.arange(out.shape[1], device=device)[None, :] < lengths.to(device)[:, None]).unsqueeze(-1)
        mean = (out * mask).sum(1) / lengths.to(device)[:, None]
        mx = out.masked_fill(~mask, -1e4).amax(1)
        return F.normalize(self.proj(torch.cat([mean, mx], 1)), dim=1)


class ImageEncoder(nn.Module):
    """Small CNN for the joint embedding (64 px -> unit-norm embed_dim); used only in training."""

    def __init__(self, embed_dim: int = 256, width: int = 32):
        super().__init__()
        layers, c = [], 3
        for i in range(4):  # 64 -> 32 -> 16 -> 8 -> 4
            layers += [nn.Conv2d(c, width << i, 4, 2, 1), nn.BatchNorm2d(width << i), nn.LeakyReLU(0.2)]
            c = width << i
        self.net = nn.Sequential(*layers)
        self.proj = nn.Linear(c * 16, embed_dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.normalize(self.proj(self.net(x).flatten(1)), dim=1)


def symmetric_structured_hinge(
    img: torch.Tensor, txt: torch.Tensor, same: torch.Tensor | None = None, margin: float = 0.2
) -> torch.Tensor:
    """DS-SJE loss: mean hinge of every mismatched pair against the matched one, both ways.

    ``img``/``txt`` [N, d] unit vectors where row i of each is a matching pair; ``same``
    [N, N] bool marks other pairs that also match (same emoji drawn twice) and are not
    negatives. Reed uses inner products with margin 1 on unnormalised vectors; on unit
    vectors (cosine) the margin scales to 0.2.
    """
    scores = img @ txt.t()
    pos = scores.diag()
    neg_mask = ~torch.eye(len(scores), dtype=torch.bool, device=scores.device)
    if same is not None:
        neg_mask &= ~same
    img_to_txt = F.relu(margin - pos[:, None] + scores) * neg_mask  # each image vs every other caption
    txt_to_img = F.relu(margin - pos[None, :] + scores) * neg_mask  # each caption vs every other image
    denom = neg_mask.sum().clamp(min=1)
    return (img_to_txt.sum() + txt_to_img.sum()) / denom
