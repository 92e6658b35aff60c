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
    # each word once, in the table's order: a word two languages share ("grave") and the character words
    # (listed below, by class) would otherwise repeat
    tempo_words: dict[str, list[str]] = {cls: [] for cls in d["classes"]}
    character: dict[str, list[str]] = {cls: [] for cls in d["classes"]}
    for entry in d["table"]:
        words = tempo_words if entry["kind"] == "tempo" else character
        term, cls = str(entry["term"]), str(entry["class"])
        shown = f"“{term}”" if " " in term else term
        if shown not in words[cls]:
            words[cls].append(shown)
    for cls in d["classes"]:
        lines.append(f"| `{cls}` | {', '.join(tempo_words[cls])} | {', '.join(forms_by_class.get(cls, [])[:12])} |")
    lines += ["", "Character words (they decide only when their section has no tempo word): "
              + "; ".join(f"{cls}: {', '.join(words)}" for cls, words in character.items() if words)
              + ". Mood words that imply no tempo on their own: "
              + ", ".join(dict.fromkeys(d["character_without_tempo"])) + ".",
              "", "Each entry names its sources: " + " ".join(
                  f"`{key}`: {text}" for key, text in d["term_sources"].items())]
    lines += ["", "Rules, in the order they apply:", ""]
    lines += [f"{i}. {rule}" for i, rule in enumerate(d["rules"], 1)]
    lines += ["", "Titles that name only a form without a usual tempo (" + ", ".join(d["no_tempo_forms"][:8])
              + ", …) have no tag. The full table is `tagging/tempo_terms.py` in the project's repository."]
    return "\n".join(lines)
