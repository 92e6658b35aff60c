"""The tempo scheme as the dataset card shows it, rendered from the same table the tagger reads."""

from __future__ import annotations

from earsense_m2t.tagging.tempo import describe_tempo_rules


def tempo_rules_markdown() -> str:
    """Markdown: the four classes with their terms per language, then the rules in order."""
    d = describe_tempo_rules()
    lines = ["Four classes, in order: " + " < ".join(f"`{c}`" for c in d["classes"])
             + "; a title with no tempo information has a null tag. `tempo_source` says what decided: "
             + ", ".join(f"`{s}`" for s in d["sources"]) + ".", "",
             "| class | terms (Italian, French, German, English, …) | typical forms |", "|---|---|---|"]
    forms_by_class: dict[str, list[str]] = {}
    for form, cls in d["forms"].items():
        forms_by_class.setdefault(cls, []).append(form)
    for cls in d["classes"]:
        terms = [t for lang in d["terms"].get(cls, {}).values() for t in lang]
        phrases = [p for lang in d["phrases"].get(cls, {}).values() for p in lang]
        shown = ", ".join([*terms, *(f"“{p}”" for p in phrases)][:40])
        lines.append(f"| `{cls}` | {shown} | {', '.join(forms_by_class.get(cls, [])[:12])} |")
    lines += ["", "Character words (they decide only when their section has no tempo word): "
              + ", ".join(d["character_terms"]) + ". Mood words that imply no tempo on their own: "
              + ", ".join(d["character_without_tempo"]) + ".",
              "", "Each entry names its sources: " + " ".join(
                  f"`{key}`: {text}" for key, text in d["term_sources"].items())]
    lines += ["", "Rules, in the order they apply:", ""]
    lines += [f"{i}. {rule}" for i, rule in enumerate(d["rules"], 1)]
    lines += ["", "Titles that name only a form without a usual tempo (" + ", ".join(d["no_tempo_forms"][:8])
              + ", …) have no tag. The full table is `tagging/tempo_terms.py` in the project's repository."]
    return "\n".join(lines)
