"""Media files, shared by the stages that touch them: decoding with ffmpeg and a source's identity.

Shared, so it imports no stage: segment, features and the annotation excerpts decode with
:mod:`.decode` without importing the acquire stage (and yt-dlp and spotipy with it), and the crawler and
the acquire stage name a recording's source with the one :func:`.identity.source_identity`, which the
media cache is keyed by. Import the submodules; this package itself imports nothing.
"""
