"""A tiny ARPA n-gram writer, so PocketSphinx listens for what the assistant is asked.

The pocketsphinx wheel ships only a general English model, which hears synthetic speech
poorly; a small model built from the assistant's own phrases recognises them exactly. Backoff
with a fixed discount mass (the scheme of the classic CMU "quick LM"): each order keeps
`1 - discount` of its observed mass, and the rest backs off to the next lower order, with
backoff weights that make every distribution sum to one.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence

BOS, EOS = "<s>", "</s>"
_LOG_ZERO = -99.0
_TOKEN = re.compile(r"[a-z]+(?:'[a-z]+)?")


def tokenize(sentence: str) -> list[str]:
    return _TOKEN.findall(sentence.lower())


def _log10(p: float) -> float:
    return math.log10(p) if p > 0 else _LOG_ZERO


class NGramModel:
    """Counts of n-grams up to `order` over sentences bracketed by <s> ... </s>."""

    def __init__(
        self,
        sentences: Iterable[Sequence[str]],
        *,
        order: int = 3,
        discount: float = 0.5,
        extra_words: Iterable[str] = (),
    ) -> None:
        if order not in (1, 2, 3):
            raise ValueError("order must be 1, 2 or 3")
        if not 0.0 < discount < 1.0:
            raise ValueError("discount must be in (0, 1)")
        self.order = order
        self.discount = discount
        self.counts: list[Counter[tuple[str, ...]]] = [Counter() for _ in range(order)]
        for words in sentences:
            tokens = (BOS, *words, EOS)
            for n in range(1, order + 1):
                for i in range(len(tokens) - n + 1):
                    self.counts[n - 1][tokens[i : i + n]] += 1
        for word in extra_words:
            self.counts[0][(word,)] += 1
        self.counts[0][(BOS,)] = self.counts[0][(BOS,)] or 1
        self.counts[0][(EOS,)] = self.counts[0][(EOS,)] or 1
        self.probs: list[dict[tuple[str, ...], float]] = []
        self.backoffs: list[dict[tuple[str, ...], float]] = []
        self._estimate()

    @property
    def vocabulary(self) -> set[str]:
        return {gram[0] for gram in self.counts[0]}

    def _estimate(self) -> None:
        unigram_total = sum(c for gram, c in self.counts[0].items() if gram != (BOS,))
        self.probs.append(
            {
                gram: (0.0 if gram == (BOS,) else count / unigram_total)
                for gram, count in self.counts[0].items()
            }
        )
        for n in range(2, self.order + 1):
            history_totals: Counter[tuple[str, ...]] = Counter()
            for gram, count in self.counts[n - 1].items():
                history_totals[gram[:-1]] += count
            self.probs.append(
                {
                    gram: (1.0 - self.discount) * count / history_totals[gram[:-1]]
                    for gram, count in self.counts[n - 1].items()
                }
            )
        for n in range(1, self.order):
            self.backoffs.append(self._backoff_weights(n))

    def _backoff_weights(self, n: int) -> dict[tuple[str, ...], float]:
        """alpha(h) for every n-gram history h: the discounted mass spread over the words
        never seen after h, in proportion to their lower-order probability."""
        seen: dict[tuple[str, ...], list[tuple[str, ...]]] = defaultdict(list)
        for gram in self.probs[n]:
            seen[gram[:-1]].append(gram)
        weights: dict[tuple[str, ...], float] = {}
        for history in self.probs[n - 1]:
            grams = seen.get(history)
            if not grams:
                continue
            kept = sum(self.probs[n][g] for g in grams)
            lower = sum(self.lower_prob(g[1:]) for g in grams)
            weights[history] = (1.0 - kept) / max(1.0 - lower, 1e-9)
        return weights

    def lower_prob(self, gram: tuple[str, ...]) -> float:
        """P(last word | the rest), backing off as the ARPA reader will."""
        n = len(gram)
        if gram in self.probs[n - 1]:
            return self.probs[n - 1][gram]
        if n == 1:
            return 0.0
        alpha = self.backoffs[n - 2].get(gram[:-1], 1.0)
        return alpha * self.lower_prob(gram[1:])

    def to_arpa(self) -> str:
        lines = ["\\data\\"]
        lines += [f"ngram {n}={len(self.probs[n - 1])}" for n in range(1, self.order + 1)]
        for n in range(1, self.order + 1):
            lines += ["", f"\\{n}-grams:"]
            backoffs = self.backoffs[n - 1] if n < self.order else {}
            for gram in sorted(self.probs[n - 1]):
                entry = f"{_log10(self.probs[n - 1][gram]):.4f} {' '.join(gram)}"
                if gram in backoffs:
                    entry += f" {_log10(backoffs[gram]):.4f}"
                lines.append(entry)
        lines += ["", "\\end\\", ""]
        return "\n".join(lines)


def build_arpa(
    sentences: Iterable[str],
    *,
    order: int = 3,
    discount: float = 0.5,
    extra_words: Iterable[str] = (),
    vocabulary: set[str] | None = None,
) -> str:
    """An ARPA model of `sentences` (plus `extra_words` as unigrams). With `vocabulary`,
    sentences holding a word outside it are dropped and such extra words skipped (the decoder
    cannot hear a word it cannot pronounce)."""
    tokenized = [tokenize(s) for s in sentences]
    extras = [w for w in (tokenize(" ".join(extra_words))) if vocabulary is None or w in vocabulary]
    if vocabulary is not None:
        tokenized = [words for words in tokenized if all(w in vocabulary for w in words)]
    return NGramModel(
        (words for words in tokenized if words),
        order=order,
        discount=discount,
        extra_words=extras,
    ).to_arpa()
