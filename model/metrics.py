"""The evaluation metrics of Table 1: BLEU (two ways), METEOR, ROUGE-L, CIDEr-D and the sentiment correlation (two ways).

Scales: BLEU is sacrebleu's 0-100; METEOR, ROUGE-L and CIDEr-D are pycocoevalcap's figures ×100, as caption
papers print them (METEOR and ROUGE-L then run 0-100; CIDEr-D, whose per-text maximum is 10, runs 0-1000).
The sentiment correlations are Pearson r, -1..1, unscaled.

**One case and tokenisation rule for every system** (:func:`normalize_text`). The neural systems' texts come
out of the uncased WordPiece decoder (lower case, accents stripped, punctuation split off: "dvorak ' s"), the
movement texts are raw and the TAGS baselines emit raw training texts. Scored as they are, a perfect neural
output (the reference round-tripped through the tokenizer) gets BLEU 85.2 case-sensitive and 96.6 with
sacrebleu's ``lowercase``, while a TAGS baseline's capitalised text is matched case for case. So every text,
hypothesis and reference of every system, is first passed through the model's own tokenizer and back
(bert-base-uncased WordPiece, encode then decode, special tokens dropped; :mod:`.tokenizer`): lower case, no
accents, the decoder's spacing. The rule is idempotent, so a perfect neural output equals its normalised
reference and scores the maximum of every metric (BLEU 100). Every metric but the paper's-call BLEU reads
the normalised texts; then each applies its own tokenizer (sacrebleu's 13a for BLEU, PTB for the rest).

**BLEU.** The headline is sacrebleu's corpus BLEU of the normalised texts, with the generated texts as
hypotheses and the movement texts as the one reference stream (:func:`corpus_bleu`). The paper's released code
(github.com/MusicTextSynaesthesia/MusicTextSynaesthesia, ``src/Metrics/__init__.py``: ``all_metrics`` →
``bleus``, called from ``src/Trainer/BaseTrainer.py``'s ``valid``) calls
``sacrebleu.corpus_bleu(reference, generated)`` where ``reference`` is the list of movement texts and
``generated`` the list of generated streams: the references stand as hypotheses and the generated texts
as references. :func:`paper_compatible_bleu` makes that very call, so our figure can stand beside the
paper's table; it is not BLEU of the generated text (the brevity penalty then punishes a *reference*
shorter than the generated text, and precision is counted over the reference's n-grams). It reads the texts
as the systems emit them and the references raw, as the released code did (its generated texts were
lower case too), so it is not under the rule above: it is the figure comparable with the paper's table.
With several generated texts per movement (the ``authors`` settings' three sampled streams) it is the released
code's call over all of them, each stream one of sacrebleu's reference streams
(:func:`paper_compatible_bleu_streams`); every other metric then scores the first stream, as the released code's
METEOR, ROUGE and CIDEr score ``generated[0]``.

**Sentiment, two ways.** The paper's figure (``sentiment_r_corpus``, :func:`corpus_sentiment_correlation`)
correlates corpus-level distributions: each text gets its emotion label (the label of highest share; a tie
splits the text's vote equally), the labels are counted over the generated texts and over the references,
and r is Pearson's between the two label distributions (the paper reports r = 0.96). The project's own
(``sentiment_r``, :func:`sentiment_correlation`) is the mean over pairs of the r between a generated text's
emotion distribution and its reference's: it asks whether each text carries its own movement's emotion,
which the corpus figure cannot see (a system that emits the same texts in another order scores the same).

**METEOR, ROUGE-L, CIDEr-D** come from ``pycocoevalcap`` (the coco-caption code): the texts are first
tokenized by its Stanford PTBTokenizer (lower-cased, punctuation dropped; :func:`ptb_tokenize`), then
scored. Its ``Cider`` class is CIDEr-D (n-gram clipping and a Gaussian length penalty, σ = 6, ×10), not the
original CIDEr; its idf comes from the references being scored, so a corpus of one text scores 0. METEOR
runs ``meteor-1.5.jar`` as a long-lived Java process: :func:`meteor_process` closes it when done (the
package itself only kills it in ``__del__``). Both Java tools need ``java`` on PATH (:func:`require_java`),
and the texts reach the tokenizer through a pipe (the package's own wrapper writes a file into its installed
folder). :class:`Evaluator` scores many units with one tokenizer call and one METEOR process.
"""

from __future__ import annotations

import contextlib
import math
import shutil
import subprocess
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import sacrebleu

from earsense_m2t.annotation.metrics.emotion import EmotionModel, text_emotion

if TYPE_CHECKING:
    from pycocoevalcap.meteor.meteor import Meteor  # type: ignore[import-untyped, unused-ignore]

METRICS = ("bleu", "bleu_paper_compatible", "meteor", "rouge_l", "cider_d", "sentiment_r_corpus", "sentiment_r")
#: ids listed in one error message before "… and N more"
MAX_IDS_SHOWN = 20
#: what the released code put in place of a generated text that is empty or a lone full stop
PAPER_BLANK = " "


def require_java() -> None:
    """Fail before a long training run, not at its end, when the Java tools of the metrics cannot start."""
    if shutil.which("java") is None:
        raise RuntimeError("METEOR and the PTB tokenizer (pycocoevalcap) run on Java, and `java` is not on PATH: "
                           "install it (apt-get install openjdk-17-jre-headless)")


def normalize_text(text: str) -> str:
    """The scoring rule's form of a text: the model's uncased WordPiece tokenizer, encode then decode.

    Lower case, accents stripped, punctuation split off as the decoder spaces it, special tokens (and so
    [UNK]) dropped, whitespace folded. Idempotent: a text the decoder produced comes back unchanged.
    """
    from earsense_m2t.model.tokenizer import wordpiece

    tok = wordpiece()
    return tok.decode(tok.encode(text, 1 << 30))


def normalize_texts(texts: Sequence[str]) -> list[str]:
    return [normalize_text(t) for t in texts]


def corpus_bleu(hypotheses: Sequence[str], references: Sequence[str], *, normalized: bool = False) -> float:
    """sacrebleu corpus BLEU (0-100) of the generated texts against one reference each, under the scoring rule.

    Both sides go through :func:`normalize_text` first (``normalized=True``: they already did), then
    sacrebleu's default 13a tokenization; hypotheses and references in their places.
    """
    _check_lengths(hypotheses, references)
    if not normalized:
        hypotheses, references = normalize_texts(hypotheses), normalize_texts(references)
    return float(sacrebleu.corpus_bleu(list(hypotheses), [list(references)]).score)


def paper_compatible_bleu(hypotheses: Sequence[str], references: Sequence[str]) -> float:
    """The released code's BLEU: ``sacrebleu.corpus_bleu(references, [generated])``, hypothesis and reference swapped.

    As in its ``all_metrics``, a generated text that is "" or "." is first replaced by " ", then the
    movement texts are passed as sacrebleu's hypotheses and the generated texts as its one reference
    stream. Reported only to compare with the paper's table; :func:`corpus_bleu` is the headline.
    """
    return paper_compatible_bleu_streams([hypotheses], references)


def paper_compatible_bleu_streams(streams: Sequence[Sequence[str]], references: Sequence[str]) -> float:
    """:func:`paper_compatible_bleu` over several generated streams, as the released code scores its three sampled
    texts per movement: ``sacrebleu.corpus_bleu(references, [stream 1, stream 2, …])``, each stream one of
    sacrebleu's reference streams (an n-gram of a movement text counts when any of its streams has it)."""
    if not streams:
        raise ValueError("paper's-call BLEU: no generated stream")
    for stream in streams:
        _check_lengths(stream, references)
    generated = [[PAPER_BLANK if h in ("", ".") else h for h in stream] for stream in streams]
    return float(sacrebleu.corpus_bleu(list(references), generated).score)


def ptb_tokenize(texts: Mapping[Any, Sequence[str]]) -> dict[Any, list[str]]:
    """pycocoevalcap's PTB tokenization of every text, in one Java call; keys and list lengths kept.

    The same command as the package's ``PTBTokenizer`` (its Stanford CoreNLP jar, ``-preserveLines
    -lowerCase``, then its punctuation list dropped), but the texts go through the process's stdin: the
    package writes them to a temporary file inside its own installed folder, and a run writes nowhere but
    its output folder. Whitespace of any kind (line and paragraph separators included) is folded to
    single spaces first: the tokenizer reads one text per line, and a stray line break would shift every
    later text onto the wrong id.
    """
    require_java()
    from pycocoevalcap.tokenizer import ptbtokenizer  # type: ignore[import-untyped, unused-ignore]

    keys = [key for key, values in texts.items() for _ in values]
    lines = [" ".join(text.split()) for values in texts.values() for text in values]
    jar = Path(ptbtokenizer.__file__).with_name(ptbtokenizer.STANFORD_CORENLP_3_4_1_JAR)
    proc = subprocess.run(["java", "-cp", str(jar), "edu.stanford.nlp.process.PTBTokenizer", "-preserveLines",
                           "-lowerCase"], input="\n".join(lines) + "\n", capture_output=True, text=True, check=False)
    out = proc.stdout.split("\n")
    if proc.returncode != 0 or len(out) < len(lines):
        raise RuntimeError(f"PTB tokenizer (java, {jar.name}) failed with code {proc.returncode}: "
                           f"{proc.stderr.strip().splitlines()[-1:] or 'no message'}")
    punctuation = set(ptbtokenizer.PUNCTUATIONS)
    tokenized: dict[Any, list[str]] = {key: [] for key in texts}
    for key, line in zip(keys, out, strict=False):
        tokenized[key].append(" ".join(w for w in line.rstrip().split(" ") if w and w not in punctuation))
    return tokenized


@contextlib.contextmanager
def meteor_process() -> Iterator[Meteor]:
    """One METEOR Java process (it loads a 60 MB paraphrase table, seconds), closed on exit whatever happens."""
    require_java()
    from pycocoevalcap.meteor.meteor import Meteor

    scorer = Meteor()
    try:
        yield scorer
    finally:
        _close_meteor(scorer)


def _close_meteor(scorer: Meteor) -> None:
    """End the jar's process and its pipes.

    ``Meteor.compute_score`` takes its lock without ``try``: if it failed mid-way the lock stays held, and
    the package's ``__del__`` (which takes it too) would hang the interpreter at collection. So the lock is
    released here whoever held it, after the process is gone; ``__del__`` then finds nothing left to do.
    """
    scorer.lock.acquire(blocking=False)
    process = scorer.meteor_p
    for stream in (process.stdin, process.stdout, process.stderr):
        if stream is not None:
            stream.close()
    process.kill()
    process.wait()
    scorer.lock.release()


def meteor(hypotheses: Mapping[str, list[str]], references: Mapping[str, list[str]], *,
           scorer: Meteor | None = None) -> float:
    """METEOR 1.5 ×100 over PTB-tokenized texts (one hypothesis per id); ``scorer`` reuses a running process."""
    _check_coco(hypotheses, references)
    if scorer is None:
        with meteor_process() as own:
            return meteor(hypotheses, references, scorer=own)
    score, _ = scorer.compute_score(dict(references), dict(hypotheses))
    return float(score) * 100.0


def rouge_l(hypotheses: Mapping[str, list[str]], references: Mapping[str, list[str]]) -> float:
    """ROUGE-L (LCS F-measure, β = 1.2) ×100, the mean over ids, of PTB-tokenized texts."""
    from pycocoevalcap.rouge.rouge import Rouge  # type: ignore[import-untyped, unused-ignore]

    _check_coco(hypotheses, references)
    score, _ = Rouge().compute_score(dict(references), dict(hypotheses))
    return float(score) * 100.0


def cider_d(hypotheses: Mapping[str, list[str]], references: Mapping[str, list[str]]) -> float:
    """CIDEr-D ×100 of PTB-tokenized texts (coco-caption's ``Cider``; idf from these references)."""
    from pycocoevalcap.cider.cider import Cider  # type: ignore[import-untyped, unused-ignore]

    _check_coco(hypotheses, references)
    score, _ = Cider().compute_score(dict(references), dict(hypotheses))
    return float(score) * 100.0


def emotion_correlation(generated: Mapping[str, float], reference: Mapping[str, float]) -> float | None:
    """Pearson r of two emotion distributions over the union of their labels (a missing label is 0).

    None when either text shows no emotion, or either distribution is flat over the labels (r undefined).
    """
    labels = sorted(set(generated) | set(reference))
    a = np.array([generated.get(label, 0.0) for label in labels], np.float64)
    b = np.array([reference.get(label, 0.0) for label in labels], np.float64)
    if a.sum() <= 0 or b.sum() <= 0:
        return None
    a, b = a - a.mean(), b - b.mean()
    norm = math.sqrt(float(a @ a) * float(b @ b))
    return float(a @ b) / norm if norm > 0 else None


def sentiment_correlation(hypotheses: Sequence[str], references: Sequence[str], model: EmotionModel) -> float | None:
    """Mean Pearson r between the emotion distributions of each generated text and its reference (the project's).

    Only pairs where both texts show an emotion (and r is defined) count; None when no pair does.
    """
    _check_lengths(hypotheses, references)
    return mean_pair_correlation([text_emotion(h, model).emotions for h in hypotheses],
                                 [text_emotion(r, model).emotions for r in references])


def mean_pair_correlation(generated: Sequence[Mapping[str, float]], reference: Sequence[Mapping[str, float]]
                          ) -> float | None:
    """:func:`sentiment_correlation` from the texts' emotion distributions."""
    rs = [r for g, ref in zip(generated, reference, strict=True) if (r := emotion_correlation(g, ref)) is not None]
    return float(np.mean(rs)) if rs else None


def label_distribution(emotions: Sequence[Mapping[str, float]], labels: Sequence[str]) -> dict[str, float]:
    """The share of texts per emotion label: each text votes for its label of highest share (a tie splits the
    vote equally); a text without emotion (all shares 0) does not vote. All zeros when no text votes."""
    counts = dict.fromkeys(labels, 0.0)
    for dist in emotions:
        top = max(dist.values(), default=0.0)
        if top <= 0:
            continue
        winners = [label for label, share in dist.items() if share == top]
        for label in winners:
            counts[label] += 1.0 / len(winners)
    total = sum(counts.values())
    return {label: (n / total if total else 0.0) for label, n in counts.items()}


def corpus_label_correlation(generated: Sequence[Mapping[str, float]], reference: Sequence[Mapping[str, float]]
                             ) -> float | None:
    """:func:`corpus_sentiment_correlation` from the texts' emotion distributions."""
    labels = sorted({label for dist in (*generated, *reference) for label in dist})
    return emotion_correlation(label_distribution(generated, labels), label_distribution(reference, labels))


def corpus_sentiment_correlation(hypotheses: Sequence[str], references: Sequence[str], model: EmotionModel
                                 ) -> float | None:
    """The paper's sentiment figure: Pearson r between the corpus-level distributions of emotion labels.

    Each text is labelled by ``model`` (:func:`label_distribution`), the labels are counted over the generated
    texts and over the references, and the two distributions are correlated over the model's labels. None
    when either side has no text with an emotion or either distribution is flat (r undefined).
    """
    _check_lengths(hypotheses, references)
    return corpus_label_correlation([text_emotion(h, model).emotions for h in hypotheses],
                                    [text_emotion(r, model).emotions for r in references])


class Evaluator:
    """Scores any number of units (one set of generated texts and their references each) in a run.

    Java starts twice per :meth:`evaluate_many` call at most, not twice per unit: every text of every
    unit goes through one tokenizer call, and METEOR's process (seconds to load its paraphrase table)
    is started once, on first use, and closed when the ``with`` block ends.
    """

    def __init__(self, emotion_model: EmotionModel) -> None:
        self.emotion_model = emotion_model
        self._stack = contextlib.ExitStack()
        self._meteor: Meteor | None = None

    def __enter__(self) -> Evaluator:
        return self

    def __exit__(self, *exc: object) -> None:
        self._stack.close()
        self._meteor = None

    def scorer(self) -> Meteor:
        """The run's METEOR process, started on first use."""
        if self._meteor is None:
            self._meteor = self._stack.enter_context(meteor_process())
        return self._meteor

    def evaluate_many(self, units: Sequence[tuple[Mapping[str, str | Sequence[str]], Mapping[str, str]]]
                      ) -> list[dict[str, float | None]]:
        """Every metric of :data:`METRICS` per ``(hypotheses, references)`` unit, ids matched within each.

        A hypothesis may be several texts (streams: the ``authors`` settings' three sampled texts per movement,
        the same number for every id of a unit): the paper's-call BLEU then scores every stream as the released
        code does (:func:`paper_compatible_bleu_streams`), every other metric the first stream.
        """
        streams_of = [_streams(hypotheses) for hypotheses, _ in units]
        firsts: list[tuple[dict[str, str], Mapping[str, str]]] = [
            ({i: texts[0] for i, texts in streams.items()}, references)
            for streams, (_, references) in zip(streams_of, units, strict=True)]
        return self._evaluate_first(firsts, streams_of)

    def _evaluate_first(self, units: Sequence[tuple[Mapping[str, str], Mapping[str, str]]],
                        streams_of: Sequence[Mapping[str, tuple[str, ...]]]) -> list[dict[str, float | None]]:
        for hypotheses, references in units:
            _check_ids(hypotheses, references)
        if not units:
            return []
        require_java()
        normal: dict[str, str] = {}  # the scoring rule once per distinct text (a baseline repeats its texts)
        for hypotheses, references in units:
            for text in (*hypotheses.values(), *references.values()):
                if text not in normal:
                    normal[text] = normalize_text(text)
        tokens = ptb_tokenize({(u, side, i): [normal[texts[i]]] for u, (h, r) in enumerate(units)
                               for side, texts in (("h", h), ("r", r)) for i in h})
        emotions: dict[str, Mapping[str, float]] = {}
        out = []
        for u, (hypotheses, references) in enumerate(units):
            ids = sorted(hypotheses)
            hyps, refs = [hypotheses[i] for i in ids], [references[i] for i in ids]
            norm_hyps, norm_refs = [normal[h] for h in hyps], [normal[r] for r in refs]
            for text in (*norm_hyps, *norm_refs):
                if text not in emotions:
                    emotions[text] = text_emotion(text, self.emotion_model).emotions
            emo_hyps, emo_refs = [emotions[h] for h in norm_hyps], [emotions[r] for r in norm_refs]
            tok_hyps = {i: tokens[(u, "h", i)] for i in ids}
            tok_refs = {i: tokens[(u, "r", i)] for i in ids}
            out.append({
                "bleu": corpus_bleu(norm_hyps, norm_refs, normalized=True),
                "bleu_paper_compatible": paper_compatible_bleu_streams(
                    [[streams_of[u][i][k] for i in ids] for k in range(len(streams_of[u][ids[0]]))], refs),
                "meteor": meteor(tok_hyps, tok_refs, scorer=self.scorer()),
                "rouge_l": rouge_l(tok_hyps, tok_refs),
                "cider_d": cider_d(tok_hyps, tok_refs),
                "sentiment_r_corpus": corpus_label_correlation(emo_hyps, emo_refs),
                "sentiment_r": mean_pair_correlation(emo_hyps, emo_refs),
            })
        return out


def evaluate_texts(hypotheses: Mapping[str, str], references: Mapping[str, str],
                   emotion_model: EmotionModel) -> dict[str, float | None]:
    """Every metric of :data:`METRICS` for generated texts against the movement texts, matched by id.

    The ids of both sides must be the same (else ValueError naming those that differ). Every metric but the
    paper's-call BLEU reads the texts under the scoring rule (:func:`normalize_text`); BLEU then tokenizes with
    sacrebleu's 13a, METEOR, ROUGE-L and CIDEr-D read the PTB-tokenized texts.
    """
    with Evaluator(emotion_model) as evaluator:
        [scores] = evaluator.evaluate_many([(hypotheses, references)])
    return scores


def _streams(hypotheses: Mapping[str, str | Sequence[str]]) -> dict[str, tuple[str, ...]]:
    """Each id's texts as a tuple (a lone text is one stream); every id of a unit needs the same number."""
    streams = {i: (h,) if isinstance(h, str) else tuple(h) for i, h in hypotheses.items()}
    counts = sorted({len(t) for t in streams.values()})
    if counts and (len(counts) > 1 or counts[0] < 1):
        raise ValueError(f"every id of a unit needs the same number of generated texts (≥ 1), found {counts}")
    return streams


def _ids(ids: Sequence[str]) -> str:
    shown = ", ".join(str(i) for i in ids[:MAX_IDS_SHOWN])
    return shown + (f" … and {len(ids) - MAX_IDS_SHOWN} more" if len(ids) > MAX_IDS_SHOWN else "")


def _check_ids(hypotheses: Mapping[str, Any], references: Mapping[str, Any]) -> None:
    """The same ids on both sides, and at least one: a silent intersection would score another test set."""
    missing = sorted(set(hypotheses) - set(references))
    unmatched = sorted(set(references) - set(hypotheses))
    if missing or unmatched:
        parts = ([f"hypotheses without a reference: {_ids(missing)}"] if missing else []) + \
                ([f"references without a hypothesis: {_ids(unmatched)}"] if unmatched else [])
        raise ValueError("ids differ: " + "; ".join(parts))
    if not hypotheses:
        raise ValueError("nothing to evaluate: no ids")


def _check_coco(hypotheses: Mapping[str, list[str]], references: Mapping[str, list[str]]) -> None:
    """pycocoevalcap's own checks are ``assert`` statements: state them as errors that name the ids."""
    _check_ids(hypotheses, references)
    not_one = sorted(i for i, h in hypotheses.items() if len(h) != 1)
    no_ref = sorted(i for i, r in references.items() if not r)
    if not_one:
        raise ValueError(f"each id needs exactly one hypothesis: {_ids(not_one)}")
    if no_ref:
        raise ValueError(f"ids without a reference text: {_ids(no_ref)}")


def _check_lengths(hypotheses: Sequence[str], references: Sequence[str]) -> None:
    if len(hypotheses) != len(references):
        raise ValueError(f"{len(hypotheses)} hypotheses for {len(references)} references")


__all__ = ["METRICS", "Evaluator", "cider_d", "corpus_bleu", "corpus_label_correlation", "corpus_sentiment_correlation",
           "emotion_correlation", "evaluate_texts", "label_distribution", "mean_pair_correlation", "meteor",
           "meteor_process", "normalize_text", "normalize_texts", "paper_compatible_bleu",
           "paper_compatible_bleu_streams", "ptb_tokenize",
           "require_java", "rouge_l", "sentiment_correlation"]
