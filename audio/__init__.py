"""Acquire and features stages: find and download recordings, split them into movements,
decode, loudness-normalize and turn each movement into a spectrogram."""
