"""The published dataset's config names and column names: what publish writes and the model reads.

Every published column of the ``default`` and ``works`` configs is a record field renamed (the
``*_PART`` maps: record field -> column), so its HF feature comes from
:mod:`earsense_m2t.schemas.features` and cannot drift from the record. The few columns that exist only
in the dataset (``fold``, ``has_audio``, the spectrogram) are named here too, beside the columns the
model reads (:data:`TAG_COLUMNS` and the example's columns), so a rename on one side is a rename on both.
"""

from __future__ import annotations

# ------------------------------------------------------------------------------------------------ configs
#: one row per movement (the default config of ``datasets.load_dataset``)
DEFAULT_CONFIG = "default"
#: one row per movement with audio: its float16 (frames × bins) log spectrogram
SPECTROGRAMS_CONFIG = "spectrograms"
#: one row per work: the whole article
WORKS_CONFIG = "works"
#: the excerpts of the relative annotations and every pair's annotation
ANNOTATION_POOL_CONFIG = "annotation_pool"
RELATIVE_ANNOTATIONS_CONFIG = "relative_annotations"
#: ``build --audio`` only, local only: one row per movement with audio, its loudness-normalized audio as an HF
#: ``Audio`` feature (never pushed unless every row's media licence allows it: publish/audio.py)
AUDIO_CONFIG = "audio"

# ------------------------------------------------------------------------------------------------ columns
ID = "id"
WORK_ID = "work_id"
TEXT = "text"
#: the cross-validation fold of a row's work (a column of the dataset only)
FOLD = "fold"
#: the spectrograms config's array and its length in frames
SPECTROGRAM = "spectrogram"
SPECTROGRAM_FRAMES = "spectrogram_frames"
SPECTROGRAM_SHA256 = "spectrogram_sha256"
#: the ``default`` config's way from a row to something to listen to: paths relative to the release (the
#: output root's ``earsense-m2t``), e.g. ``../annotation/excerpts/<key>.ogg``; null when there is none
EXCERPT_PATH = "excerpt_path"
AUDIO_PATH = "audio_path"
#: the ``audio`` config's audio column
AUDIO = "audio"

# field -> published column, per record type, for the `default` config (one row per movement)
MOVEMENT_PART = {"id": ID, "work_id": WORK_ID, "number": "movement_number", "title": "movement_title",
                 "title_source": "movement_title_source", "text": TEXT, "text_confidence": "text_confidence",
                 "text_from_quotation": "text_from_quotation",
                 "tempo_tag": "tempo_tag", "tempo_term": "tempo_term", "tempo_source": "tempo_source",
                 "titles_ri": "movement_titles_recording_index"}
WORK_PART = {"composer": "composer", "composer_birth_year": "composer_birth_year",
             "composer_death_year": "composer_death_year", "title": "work_title", "genre": "genre",
             "number": "work_number", "key": "key", "mode": "mode", "key_source": "key_source",
             "catalogue": "catalogue", "year": "year", "ensemble": "ensemble", "ensemble_source": "ensemble_source",
             "instrument_family": "instrument_family", "instrument_family_source": "instrument_family_source",
             "url": "page_url", "fetched_at": "page_fetched_at", "page_sha256": "page_sha256"}
RECORDING_PART = {"source_url": "audio_url", "performers": "performers", "recording_index": "recording_index"}
SEGMENT_PART = {"source_id": "audio_source_id", "start_s": "audio_start_s", "end_s": "audio_end_s",
                "method": "segment_method", "confidence": "segment_confidence", "media_sha256": "media_sha256"}
MEDIA_PART = {"uploader": "uploader", "title": "media_title", "license": "media_license",
              "extractor": "media_extractor", "downloaded_at": "audio_fetched_at"}
CLIP_PART = {"duration_s": "duration_s", "sample_rate_hz": "sample_rate_hz",
             "loudness_before_lufs": "loudness_before_lufs", "loudness_after_lufs": "loudness_after_lufs",
             "gain_db": "gain_db", "true_peak_dbtp": "true_peak_dbtp", "flags": "quality_flags",
             "spectrogram_frames": SPECTROGRAM_FRAMES}

#: the ``works`` config's columns are the Work record's fields, except these (field -> published column)
WORKS_RENAMED = {"page_movement_titles_ri": "page_movement_titles_recording_index"}

#: the ``default`` config's columns the model's TAGS baselines compare, in the order of ``Example.tags``
TAG_COLUMNS: tuple[str, ...] = (MOVEMENT_PART["tempo_tag"], WORK_PART["ensemble"], WORK_PART["key"],
                                WORK_PART["mode"], WORK_PART["instrument_family"])

__all__ = ["ANNOTATION_POOL_CONFIG", "AUDIO", "AUDIO_CONFIG", "AUDIO_PATH", "CLIP_PART", "EXCERPT_PATH",
           "DEFAULT_CONFIG", "FOLD", "ID", "MEDIA_PART", "MOVEMENT_PART",
           "RECORDING_PART", "RELATIVE_ANNOTATIONS_CONFIG", "SEGMENT_PART", "SPECTROGRAM", "SPECTROGRAMS_CONFIG",
           "SPECTROGRAM_FRAMES", "SPECTROGRAM_SHA256", "TAG_COLUMNS", "TEXT", "WORKS_CONFIG", "WORKS_RENAMED", "WORK_ID",
           "WORK_PART"]
