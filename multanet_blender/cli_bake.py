"""``python -m multanet_blender bake``: bake the dialogue of .blend files from the command line.

Each file is opened, its dialogue list filled if it is empty (the rule of :mod:`.batch`), its lines
baked with :func:`.batch.bake_dialogue`, and saved. A file is never lost or half-written: it is saved
to a temporary file beside its destination, which is then renamed into place; writing in place keeps
the original as ``NAME.blend1`` (Blender's own name for the previous version); a file whose bake
fails (any line failed, nothing to bake, or an error) is not written at all. A file is refused before
baking when it cannot be saved safely (:mod:`.blend_save`) or another bake
holds it (:func:`guarded`); SIGINT and SIGTERM stop the run cleanly (:mod:`.interrupt`).
``--workers N`` bakes N files at once, each in its own process (bpy is not thread-safe).

Inside Blender (``blender -b SCENE.blend --python-expr ...`` with the extension installed) call
:func:`run_in_blender`: with no file arguments it bakes the open file. See docs/RENDER_FARM.md.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field

from multanet_core.atomic import FileBusy, atomic_path, exclusive, resolved, stale_partials
from multanet_core.paths import require_regular_file
from multanet_core.progress import StatusLine, bar
from multanet_core.script import DEFAULT_LANGUAGE, ScriptError, clean_text, read_text

from . import blend_save
from .blend_save import BACKUP_SUFFIX, overwrites_source, relocated_paths, version_problem, write_problem
from .interrupt import Interrupted, check_interrupt, interruptible, signals_held
from .session import ensure_addon, release_addon

RESULT_TAG = "MULTANET_RESULT "


@dataclass
class FileResult:
    path: str
    output: str = ""  # where the baked file was written ("" = not written)
    backup: str = ""
    baked: list = field(default_factory=list)
    skipped: list = field(default_factory=list)
    failed: list = field(default_factory=list)
    warnings: list = field(default_factory=list)  # (strip, what to check) of lines baked all the same
    error: str = ""  # a problem with the whole file
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.error and not self.failed


def _unit(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 0.0 <= value <= 1.0:  # also refuses nan
        raise argparse.ArgumentTypeError(f"{text} is outside 0-1")
    return value


def _line_emotion(text: str) -> tuple[str, str, float | None]:
    """``STRIP=PRESET[:STRENGTH]`` -> (strip, preset, strength or None). The strip name is all before the last
    '='; a strength is a number 0-4 after the last ':'."""
    strip, eq, rest = text.rpartition("=")
    if not eq or not strip:
        raise argparse.ArgumentTypeError(f"expected STRIP=PRESET or STRIP=PRESET:STRENGTH, got {text!r}")
    preset, colon, number = rest.rpartition(":")
    if not colon:
        return strip, rest, None
    try:
        strength = float(number)
    except ValueError:
        raise argparse.ArgumentTypeError(f"strength not a number in {text!r}") from None
    if not 0.0 <= strength <= 4.0:
        raise argparse.ArgumentTypeError(f"strength {number} is outside 0-4 in {text!r}")
    return strip, preset, strength


def _line_text(text: str) -> tuple[str, str]:
    """``STRIP=TEXT`` -> (strip, text); the strip name is all before the first '='."""
    strip, eq, words = text.partition("=")
    if not eq or not strip:
        raise argparse.ArgumentTypeError(f"expected STRIP=TEXT, got {text!r}")
    try:
        return strip, clean_text(words, f"--text for strip '{strip}'")
    except ScriptError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _line_text_file(text: str) -> tuple[str, str]:
    """``STRIP=PATH`` -> (strip, the file's text), read now: a bad file stops the command before any bake."""
    strip, eq, path = text.partition("=")
    if not eq or not strip or not path:
        raise argparse.ArgumentTypeError(f"expected STRIP=PATH, got {text!r}")
    try:
        return strip, read_text(path)
    except ScriptError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m multanet_blender bake",
                                description="Bake every dialogue line of .blend files as NLA lip sync.")
    p.add_argument("files", nargs="*", metavar="SCENE.blend",
                   help="files to bake (inside Blender: none = the open file)")
    which = p.add_mutually_exclusive_group()
    which.add_argument("--all", action="store_true", help="every dialogue line (the default)")
    which.add_argument("--strip", action="append", default=[], metavar="NAME",
                       help="only this sound strip's line (repeatable)")
    where = p.add_mutually_exclusive_group(required=True)
    where.add_argument("--output-dir", metavar="DIR", help="write baked copies here, same file names")
    where.add_argument("--in-place", action="store_true",
                       help="overwrite each file, keeping the original as NAME.blend1")
    p.add_argument("--lip-contact", type=_unit, default=None, metavar="S",
                   help="0-1: how firmly the lips seal at P/B/M and the face rests where nobody speaks, with a "
                        "checkpoint that has a lip-contact head (default: each file's own Lip Contact, 1 unless "
                        "changed); saved with the file")
    p.add_argument("--blinks", action=argparse.BooleanOptionalAction, default=None,
                   help="eye blinks on rig heads' eyeBlinkLeft and eyeBlinkRight keys (default: each file's own "
                        "Blinks, off unless changed); saved with the file")
    p.add_argument("--emotion", type=_line_emotion, action="append", default=[], metavar="STRIP=PRESET[:S]",
                   help="bake the line of sound strip STRIP with emotion preset PRESET of its head (neutral, happy, "
                        "... : python -m multanet_core info lists them), at strength S (0-4, default the line's); "
                        "repeatable; saved with the file, as the dialogue list's own Emotion")
    p.add_argument("--text", type=_line_text, action="append", default=[], metavar="STRIP=TEXT",
                   help="the words the line of sound strip STRIP says (its script): placed in the audio, they seal "
                        "the lips at every P/B/M and rest the face in pauses; a text that does not match the audio "
                        "gives a warning and the audio alone; repeatable; saved with the file, as the dialogue "
                        "list's own Text. A line without one uses the .txt beside its sound file, if any")
    p.add_argument("--text-file", type=_line_text_file, action="append", default=[], metavar="STRIP=PATH",
                   help="the same, read from a UTF-8 file")
    p.add_argument("--language", default=None, metavar="LANG",
                   help="the language of the texts given with --text and --text-file, an espeak-ng voice name "
                        f"(en-us, es, fr, ...; default each line's own, {DEFAULT_LANGUAGE} unless changed)")
    p.add_argument("--workers", type=int, default=1, metavar="N",
                   help="files baked at once, each in its own process (default 1)")
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)  # one file, JSON result on stdout
    return p


def destination(path: str, args) -> str:
    """Where ``path``'s baked file goes: the file itself in place, else ``DIR/<its name>``; a symbolic link
    is written through (the link stays, its target is baked)."""
    if args.in_place:
        return resolved(path)
    return resolved(os.path.join(os.path.abspath(args.output_dir), os.path.basename(path)))


@contextlib.contextmanager
def quiet(filter_stderr: bool = False):
    """Blender's own chatter on stdout (file read/saved, render frames) goes to /dev/null meanwhile; yields
    ``say(text)``, which still reaches the real stdout. ``filter_stderr``: stderr is held back and passed
    on afterwards without the ``EGL Error`` lines that a headless GPU context start prints (harmless:
    Blender falls back to another configuration)."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1)
    saved_err = os.dup(2) if filter_stderr else -1
    held = tempfile.TemporaryFile() if filter_stderr else None

    def say(text: str) -> None:
        os.write(saved, (text + "\n").encode())

    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 1)
            if held is not None:
                os.dup2(held.fileno(), 2)
            yield say
    finally:
        with signals_held():  # a signal handled half-way through would leave stdout on /dev/null
            _restore(saved, saved_err, held)


def _restore(saved: int, saved_err: int, held) -> None:
    sys.stdout.flush()
    sys.stderr.flush()
    os.dup2(saved, 1)
    os.close(saved)
    if held is not None:
        os.dup2(saved_err, 2)
        os.close(saved_err)
        held.seek(0)
        for line in held.read().decode(errors="replace").splitlines():
            if not line.startswith("EGL Error"):
                print(line, file=sys.stderr)
        held.close()


def clean_leftovers(out: str) -> list[str]:
    """Remove the temporary saves and half-made backups that a killed earlier run left beside ``out``."""
    folder, base = os.path.dirname(out), os.path.basename(out)
    removed = []
    for path in stale_partials(folder, base) + stale_partials(folder, base + BACKUP_SUFFIX):
        with contextlib.suppress(FileNotFoundError):
            os.remove(path)
            removed.append(os.path.basename(path))
    return removed


# --- one file ---------------------------------------------------------------------------------------

def _backup(path: str) -> str:
    """``path`` copied to ``path + BACKUP_SUFFIX`` (with its permissions) through a temporary file: a kill
    never leaves a half backup."""
    import shutil

    backup = path + BACKUP_SUFFIX
    with atomic_path(backup, ".blend", like=path) as tmp:
        shutil.copy2(path, tmp)
    return backup


def _save(path: str, out: str, in_place: bool, result: FileResult) -> None:
    """Save the open file to ``out`` through a temporary file beside it; back ``path`` up when it is
    overwritten (``--in-place``, or an output folder that is the source's own). The file that replaces
    the source keeps its permissions, owner and group (where allowed)."""
    import bpy

    source = resolved(path)
    folder = os.path.dirname(out)
    os.makedirs(folder, exist_ok=True)
    clean_leftovers(out)
    overwrites = in_place or overwrites_source(source, out)
    tmp = ""
    try:
        with atomic_path(out, ".blend", like=source if overwrites else None) as tmp:
            # copy=True: the open file keeps its own path; relative paths are remapped for the new folder
            with relocated_paths(folder), quiet():
                bpy.ops.wm.save_as_mainfile(filepath=tmp, copy=True, relative_remap=True)
            check_interrupt()
            if overwrites:
                result.backup = _backup(source)  # before the source is replaced
            check_interrupt()
    except (OSError, RuntimeError) as exc:  # named by the destination, not by the temporary file
        why = (str(exc).strip() if tmp == "" else str(exc).strip().replace(tmp + "@", out).replace(tmp, out))
        raise OSError(f"cannot save '{out}': {why}") from exc
    result.output = out
    if bpy.data.filepath and resolved(bpy.data.filepath) == out:
        blend_save.note_opened()  # the open file is the one just written: a bake of it again is no clash


@dataclass(frozen=True)
class Settings:
    """The panel settings a command line sets on every file it bakes (None: each file's own), saved with it."""

    lip_contact: float | None = None
    blinks: bool | None = None
    emotions: tuple[tuple[str, str, float | None], ...] = ()  # (strip, preset, strength or None) per line
    texts: tuple[tuple[str, str], ...] = ()  # (strip, its script) per line
    language: str | None = None  # the texts' language

    @classmethod
    def of(cls, args) -> Settings:
        return cls(args.lip_contact, args.blinks, tuple(args.emotion), tuple(args.text + args.text_file),
                   args.language)

    def apply(self, scene) -> None:
        if self.lip_contact is not None:
            scene.multanet.lip_contact = self.lip_contact
        if self.blinks is not None:
            scene.multanet.blinks = self.blinks

    def set_lines(self, lines) -> None:
        """The dialogue ``lines``' emotions from ``emotions``; a strip with no line is an error naming it."""
        by_strip = {line.strip: line for line in lines}
        for option, strips in (("--emotion", [s for s, _, _ in self.emotions]), ("--text", [s for s, _ in self.texts])):
            missing = [s for s in strips if s not in by_strip]
            if missing:
                raise ValueError(f"{option}: no dialogue line for strip " + ", ".join(f"'{s}'" for s in missing))
        for strip, preset, strength in self.emotions:
            by_strip[strip].emotion = "" if preset == "neutral" else preset
            if strength is not None:
                by_strip[strip].strength = strength
        for strip, text in self.texts:
            by_strip[strip].text = text
            if self.language:
                by_strip[strip].language = self.language

    def argv(self) -> list[str]:
        """The options that set them again (a worker process's command line)."""
        return ((["--lip-contact", repr(self.lip_contact)] if self.lip_contact is not None else [])
                + ([] if self.blinks is None else ["--blinks" if self.blinks else "--no-blinks"])
                + [x for s, p, v in self.emotions
                   for x in ("--emotion", f"{s}={p}" + ("" if v is None else f":{v!r}"))]
                + [x for s, t in self.texts for x in ("--text", f"{s}={t}")]
                + (["--language", self.language] if self.language else []))


def bake_open_file(path: str, out: str, strips: list[str], in_place: bool,
                   on_progress=None, settings: Settings | None = None) -> FileResult:
    """Bake the open file's active scene and save it to ``out`` (nothing is written when a line fails);
    ``settings`` (None: the file's own) become the scene's, so the saved file keeps them."""
    import bpy

    from . import batch

    result = FileResult(path=path)
    t = time.perf_counter()

    def progress(i: int, n: int, name: str) -> None:
        check_interrupt()
        if on_progress is not None:
            on_progress(i, n, name)

    try:
        problem = version_problem()
        if problem:
            raise ValueError(problem)
        scene = bpy.context.scene
        if settings is not None:
            settings.apply(scene)
        dialogue = scene.multanet_dialogue
        if not len(dialogue.lines):
            batch.fill_dialogue(scene)
        lines = list(dialogue.lines)
        if settings is not None:
            settings.set_lines(lines)
        if strips:
            known = {line.strip for line in lines}
            missing = [s for s in strips if s not in known]
            if missing:
                raise ValueError(f"no dialogue line for strip{'s' if len(missing) > 1 else ''} "
                                 + ", ".join(f"'{s}'" for s in missing))
            lines = [line for line in lines if line.strip in strips]
        if not lines:
            raise ValueError(f"scene '{scene.name}' has no dialogue to bake: add sound strips named "
                             f"'<object name>: ...' or assign their channels to characters")
        report = batch.bake_dialogue(scene, lines, on_progress=progress)
        check_interrupt()
        result.baked, result.skipped, result.failed = report.baked, report.skipped, report.failed
        result.warnings = report.warnings
        if not report.baked and not report.failed:
            raise ValueError("no line could be baked (see the skipped lines)")
        if report.failed:
            n = len(report.failed)
            result.error = f"not written: {n} line{'s' if n > 1 else ''} failed"
        else:
            _save(path, out, in_place, result)
    except Exception as exc:  # noqa: BLE001 - one file's failure is reported, the others go on
        result.error = f"{type(exc).__name__}: {exc}" if not isinstance(exc, ValueError | OSError) else str(exc)
    result.seconds = time.perf_counter() - t
    return result


def guarded(path: str, out: str, bake, read: tuple[int, int] | None = None) -> FileResult:
    """``bake()`` (which reads ``path`` and writes ``out``) after the checks of :func:`write_problem`, and
    holding the source's lock while it is overwritten: a second bake of the same file is refused (also when
    the file, already open, was ``read`` as another (device, inode) than the one locked)."""
    problem = write_problem(path, out)
    if problem:
        return FileResult(path=path, error=problem)
    try:
        with exclusive(resolved(path), read) if overwrites_source(path, out) else contextlib.nullcontext():
            return bake()
    except FileBusy as exc:
        return FileResult(path=path, error=str(exc))


def bake_file(path: str, out: str, strips: list[str], in_place: bool, on_progress=None,
              settings: Settings | None = None) -> FileResult:
    """Open ``path`` (a symbolic link's target, whose folder its relative paths are relative to), bake it
    and save it to ``out``."""
    import bpy

    ensure_addon()
    source = resolved(path)
    try:  # a folder or a FIFO named x.blend is said to be one (a FIFO would block the open for ever)
        require_regular_file(source, "the .blend file", ValueError)
    except ValueError as exc:
        return FileResult(path=path, error=str(exc))

    def bake() -> FileResult:
        try:
            with quiet():
                bpy.ops.wm.open_mainfile(filepath=source, load_ui=False)
        except RuntimeError as exc:
            return FileResult(path=path, error=f"Blender cannot open it: {str(exc).strip()}")
        check_interrupt()
        return bake_open_file(path, out, strips, in_place, on_progress, settings)

    return guarded(path, out, bake)


# --- progress and summary -------------------------------------------------------------------------

class Progress:
    """Files done and the current file's lines on one status line (a terminal redraws it in place; a log
    gets a line per finished file and per finished line list)."""

    def __init__(self, n_files: int, stream=None):
        self.n_files, self.done = n_files, 0
        self.line = StatusLine(stream, every=math.inf)
        self.t0 = time.perf_counter()

    def show(self, label: str, line_done: int = 0, line_total: int = 0) -> None:
        frac = (self.done + (line_done / line_total if line_total else 0)) / max(self.n_files, 1)
        lines = f" line {line_done}/{line_total}" if line_total else ""
        text = f"{bar(frac)} {self.done}/{self.n_files} files{lines}  {label}  {time.perf_counter() - self.t0:.1f} s"
        self.line.show(text[:150], force=not line_total or line_done == line_total)

    def file_done(self, label: str) -> None:
        self.done += 1
        self.show(label)

    def close(self) -> None:
        self.line.done()


def summary_table(results: list[FileResult], interrupted: str = "") -> str:
    """One row per file (its lines baked into the written file, skipped, failed), then each skipped and
    failed line with why, then the count; ``interrupted``: the signal that stopped the run."""
    rows = [("file", "baked", "skipped", "failed", "seconds", "result")]
    for r in results:
        outcome = ("-> " + r.output + (f" (original kept as {os.path.basename(r.backup)})" if r.backup else "")
                   if r.ok else "FAILED, left untouched: " + r.error)
        rows.append((os.path.basename(r.path), str(len(r.baked) if r.output else 0), str(len(r.skipped)),
                     str(len(r.failed)), f"{r.seconds:.1f}", outcome))
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    out = ["  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row[:5], widths,
                                                                                         strict=True)))
           + "  " + row[5] for row in rows]
    for r in results:
        name = os.path.basename(r.path)
        if r.baked and not r.output:
            n = len(r.baked)
            out.append(f"  {name}: {n} line{'s' if n > 1 else ''} baked but not saved (the file was not written)")
        out += [f"  {name}: warning '{s}': {why}" for s, why in r.warnings]
        out += [f"  {name}: skipped '{s}': {why}" for s, why in r.skipped]
        out += [f"  {name}: FAILED '{s}': {why}" for s, why in r.failed]
    n_bad = sum(not r.ok for r in results)
    counts = (f"{len(results) - n_bad} of {len(results)} file{'s' if len(results) != 1 else ''} baked"
              + (f", {n_bad} {'not baked' if interrupted else 'failed'}" if n_bad else ""))
    out.append(f"interrupted by {interrupted}: {counts}" if interrupted else counts)
    return "\n".join(out)


# --- running ----------------------------------------------------------------------------------------

def _worker_command(path: str, out: str, args) -> list[str]:
    cmd = [sys.executable, "-m", "multanet_blender", "bake", "--worker", path]
    cmd += ["--in-place"] if args.in_place else ["--output-dir", os.path.dirname(out)]
    for s in args.strip:
        cmd += ["--strip", s]
    return cmd + Settings.of(args).argv()


def die_with_parent() -> None:
    """In a worker, before it runs: Linux sends it SIGKILL when the process that started it dies, so a
    killed batch never leaves workers writing files. Elsewhere a no-op."""
    if sys.platform.startswith("linux"):
        import ctypes

        PR_SET_PDEATHSIG = 1
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)


def _worker_result(proc: subprocess.Popen, path: str, stdout: str, stderr: str) -> FileResult:
    line = next((ln for ln in stdout.splitlines() if ln.startswith(RESULT_TAG)), None)
    if line is not None:
        return FileResult(**json.loads(line[len(RESULT_TAG):]))
    code = proc.returncode
    how = f"was stopped by {signal.Signals(-code).name}" if code < 0 else f"exited with status {code}"
    return FileResult(path=path, error=f"worker {how}: {(stderr.strip().splitlines() or ['?'])[-1]}")


def _run_workers(files: list[str], args, progress: Progress, done: dict[str, FileResult]) -> None:
    """Each file in its own ``python -m multanet_blender bake --worker`` process, ``args.workers`` at a
    time, their results into ``done``. Interrupted, it passes SIGTERM on to the running workers (which
    remove their temporary files), collects what they report, and raises again."""
    pending = list(files)
    running: dict = {}
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")])))
    try:
        while pending or running:
            while pending and len(running) < args.workers:
                path = pending.pop(0)
                proc = subprocess.Popen(_worker_command(path, destination(path, args), args),
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                                        preexec_fn=die_with_parent)
                running[proc] = path
                progress.show(f"baking {len(running)} file{'s' if len(running) > 1 else ''}")
            time.sleep(0.05)
            for proc in [p for p in running if p.poll() is not None]:
                done[running[proc]] = _worker_result(proc, running[proc], *proc.communicate())
                progress.file_done(os.path.basename(running.pop(proc)))
    except Interrupted:
        for proc in running:
            with contextlib.suppress(ProcessLookupError):
                proc.send_signal(signal.SIGTERM)
        for proc, path in running.items():
            try:
                stdout, stderr = proc.communicate(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
                stdout, stderr = proc.communicate()
            done[path] = _worker_result(proc, path, stdout, stderr)
        raise


def _worker(args) -> int:
    """A child of :func:`_run_workers`: one file, its result as one JSON line on stdout."""
    (path,) = args.files
    path = os.path.abspath(path)
    try:
        result, code = bake_file(path, destination(path, args), args.strip, args.in_place,
                                 settings=Settings.of(args)), 0
    except Interrupted as stop:
        result, code = FileResult(path=path, error=f"interrupted by {stop.name}: not written"), stop.exit_code
    print(RESULT_TAG + json.dumps(asdict(result)), flush=True)
    return code


def _check_output_dir(p: argparse.ArgumentParser, folder: str) -> None:
    """An empty, file or uncreatable ``--output-dir`` is a usage error, found before anything is baked."""
    if not folder.strip():
        p.error("--output-dir is empty: name a folder (--output-dir . for the current one)")
    if os.path.exists(folder) and not os.path.isdir(folder):
        p.error(f"--output-dir '{folder}' is a file, not a folder")
    try:
        os.makedirs(folder, exist_ok=True)
    except OSError as exc:
        p.error(f"cannot create --output-dir '{folder}': {exc.strerror or exc}")


def main(argv: list[str] | None = None, exiting: bool = False) -> int:
    """The bake command; ``exiting``: the process ends when it returns (``python -m multanet_blender bake``), so
    SIGINT and SIGTERM stay held from the end of the run on. Called from Python, it leaves them as they were."""
    p = parser()
    args = p.parse_args(argv)
    if args.workers < 1:
        p.error("--workers must be at least 1")
    if args.output_dir is not None:
        _check_output_dir(p, args.output_dir)
    # Blender's module is loaded with the signals held, then the handler goes in: a Ctrl-C or SIGTERM in the
    # middle of its start would leave it half made (a crash at exit); one that came meanwhile stops the run here
    stop = contextlib.ExitStack()
    try:
        with signals_held():
            import bpy  # noqa: F401

            stop.enter_context(interruptible())
        if hasattr(signal, "pthread_sigmask"):  # held since the process began (multanet_blender.__main__)
            signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT, signal.SIGTERM})
        with stop:
            if args.worker:
                return _worker(args)
            return _bake_all(p, args)
    except Interrupted as early:  # before any file was begun
        print(f"interrupted by {early.name}: nothing was baked", file=sys.stderr)
        return early.exit_code
    finally:
        # the run is over: a signal while it unwinds would cut the add-on's unregistering in half, and one while
        # the process exits, Blender's exit (a crash on 4.2); a caller in Python gets its signals back after
        held = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM}) \
            if hasattr(signal, "pthread_sigmask") else None
        try:
            stop.close()
            release_addon()
        finally:
            if held is not None and not exiting:
                signal.pthread_sigmask(signal.SIG_SETMASK, held)


def _bake_all(p: argparse.ArgumentParser, args) -> int:
    files = [os.path.abspath(f) for f in args.files]
    import bpy

    in_blender = not files
    if in_blender:
        if not bpy.data.filepath:
            p.error("no .blend files given (and no saved file is open)")
        files = [bpy.data.filepath]
    outs = [destination(f, args) for f in files]
    if len(set(outs)) != len(outs):
        p.error("two files would be written to the same place: " +
                ", ".join(sorted({o for o in outs if outs.count(o) > 1})))
    progress = Progress(len(files))
    done: dict[str, FileResult] = {}
    stopped = None
    try:
        if in_blender:
            ensure_addon()
            done[files[0]] = guarded(files[0], outs[0], lambda: bake_open_file(
                files[0], outs[0], args.strip, args.in_place, lambda i, n, name: progress.show(name, i, n),
                Settings.of(args)),
                blend_save.opened_identity(files[0]))  # as Blender read it, before the lock could be taken
            progress.file_done(os.path.basename(files[0]))
        elif args.workers > 1 and len(files) > 1:
            _run_workers(files, args, progress, done)
        else:
            for path, out in zip(files, outs, strict=True):
                label = os.path.basename(path)
                done[path] = bake_file(path, out, args.strip, args.in_place,
                                       lambda i, n, name, label=label: progress.show(f"{label}: {name}", i, n),
                                       Settings.of(args))
                progress.file_done(label)
    except Interrupted as stop:
        stopped = stop
    progress.close()
    results = [done.get(f) or FileResult(path=f, error=f"not baked: the run was interrupted by {stopped.name}")
               for f in files]
    print(summary_table(results, stopped.name if stopped else ""), flush=True)
    if stopped is not None:
        return stopped.exit_code
    return 0 if all(r.ok for r in results) else 1


def run_in_blender() -> None:
    """For ``blender -b SCENE.blend --python-expr``: the arguments after ``--``; exits Blender non-zero on failure."""
    argv = sys.argv[sys.argv.index("--") + 1:] if "--" in sys.argv else []
    code = main(argv)
    if code:
        sys.exit(code)
