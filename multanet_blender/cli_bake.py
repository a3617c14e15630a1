"""``python -m multanet_blender bake``: bake the dialogue of .blend files from the command line.

Each file is opened, its dialogue list filled if it is empty (the rule of :mod:`.batch`), its lines
baked with :func:`.batch.bake_dialogue`, and saved. A file is never lost or half-written: it is saved
to a temporary file beside its destination, which is then renamed into place; writing in place keeps
the original as ``NAME.blend1`` (Blender's own name for the previous version); a file whose bake
fails (any line failed, nothing to bake, or an error) is not written at all. ``--workers N`` bakes
N files at once, each in its own process (bpy is not thread-safe).

Inside Blender (``blender -b SCENE.blend --python-expr ...`` with the extension installed) call
:func:`run_in_blender`: with no file arguments it bakes the open file. See docs/RENDER_FARM.md.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field

from multanet_core.atomic import atomic_path, stale_partials
from multanet_core.progress import StatusLine, bar

BACKUP_SUFFIX = "1"  # SCENE.blend -> SCENE.blend1
RESULT_TAG = "MULTANET_RESULT "


@dataclass
class FileResult:
    path: str
    output: str = ""  # where the baked file was written ("" = not written)
    backup: str = ""
    baked: list = field(default_factory=list)
    skipped: list = field(default_factory=list)
    failed: list = field(default_factory=list)
    error: str = ""  # a problem with the whole file
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.error and not self.failed


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
    p.add_argument("--workers", type=int, default=1, metavar="N",
                   help="files baked at once, each in its own process (default 1)")
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)  # one file, JSON result on stdout
    return p


def destination(path: str, args) -> str:
    if args.in_place:
        return path
    return os.path.join(os.path.abspath(args.output_dir), os.path.basename(path))


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


def _ensure_addon() -> None:
    """Register the add-on when it is not (the bpy module from a checkout); an installed one already is."""
    import bpy

    if not hasattr(bpy.types.Scene, "multanet_dialogue"):
        from . import register

        register()


def clean_leftovers(out: str) -> list[str]:
    """Remove the temporary saves and half-made backups that a killed earlier run left beside ``out``."""
    folder, base = os.path.dirname(out), os.path.basename(out)
    removed = []
    for path in stale_partials(folder, base) + stale_partials(folder, base + BACKUP_SUFFIX):
        with contextlib.suppress(FileNotFoundError):
            os.remove(path)
            removed.append(os.path.basename(path))
    return removed


def _backup(path: str) -> str:
    """``path`` copied to ``path + BACKUP_SUFFIX`` through a temporary file: a kill never leaves a half backup."""
    import shutil

    backup = path + BACKUP_SUFFIX
    with atomic_path(backup, ".blend") as tmp:
        shutil.copy2(path, tmp)
    return backup


def _save(path: str, out: str, in_place: bool, result: FileResult) -> None:
    """Save the open file to ``out`` through a temporary file beside it; back ``path`` up when it is
    overwritten (``--in-place``, or an output folder that is the source's own)."""
    import bpy

    os.makedirs(os.path.dirname(out), exist_ok=True)
    clean_leftovers(out)
    overwrites_source = in_place or os.path.abspath(out) == os.path.abspath(path)
    with atomic_path(out, ".blend") as tmp:
        # copy=True: the open file keeps its own path; relative paths are remapped for the new folder
        with quiet():
            bpy.ops.wm.save_as_mainfile(filepath=tmp, copy=True, relative_remap=True)
        if overwrites_source:
            result.backup = _backup(path)  # before the source is replaced
    result.output = out


def bake_open_file(path: str, out: str, strips: list[str], in_place: bool,
                   on_progress=None) -> FileResult:
    """Bake the open file's active scene and save it to ``out`` (nothing is written when a line fails)."""
    import bpy

    from . import batch

    result = FileResult(path=path)
    t = time.perf_counter()
    try:
        scene = bpy.context.scene
        dialogue = scene.multanet_dialogue
        if not len(dialogue.lines):
            batch.fill_dialogue(scene)
        lines = list(dialogue.lines)
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
        report = batch.bake_dialogue(scene, lines, on_progress=on_progress)
        result.baked, result.skipped, result.failed = report.baked, report.skipped, report.failed
        if not report.baked and not report.failed:
            raise ValueError("no line could be baked (see the skipped lines)")
        if report.failed:
            result.error = "not written: a line failed"
        else:
            _save(path, out, in_place, result)
    except Exception as exc:  # noqa: BLE001 - one file's failure is reported, the others go on
        result.error = f"{type(exc).__name__}: {exc}" if not isinstance(exc, ValueError | OSError) else str(exc)
    result.seconds = time.perf_counter() - t
    return result


def bake_file(path: str, out: str, strips: list[str], in_place: bool, on_progress=None) -> FileResult:
    import bpy

    _ensure_addon()
    if not os.path.isfile(path):
        return FileResult(path=path, error="no such file")
    try:
        with quiet():
            bpy.ops.wm.open_mainfile(filepath=path, load_ui=False)
    except RuntimeError as exc:
        return FileResult(path=path, error=f"Blender cannot open it: {str(exc).strip()}")
    return bake_open_file(path, out, strips, in_place, on_progress)


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


def summary_table(results: list[FileResult]) -> str:
    rows = [("file", "baked", "skipped", "failed", "seconds", "result")]
    for r in results:
        outcome = ("-> " + r.output + (f" (original kept as {os.path.basename(r.backup)})" if r.backup else "")
                   if r.ok else "FAILED, left untouched: " + r.error)
        rows.append((os.path.basename(r.path), str(len(r.baked)), str(len(r.skipped)), str(len(r.failed)),
                     f"{r.seconds:.1f}", outcome))
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    out = ["  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row[:5], widths,
                                                                                         strict=True)))
           + "  " + row[5] for row in rows]
    for r in results:
        out += [f"  {os.path.basename(r.path)}: skipped '{s}': {why}" for s, why in r.skipped]
        out += [f"  {os.path.basename(r.path)}: FAILED '{s}': {why}" for s, why in r.failed]
    n_bad = sum(not r.ok for r in results)
    out.append(f"{len(results) - n_bad} of {len(results)} file{'s' if len(results) != 1 else ''} baked"
               + (f", {n_bad} failed" if n_bad else ""))
    return "\n".join(out)


# --- running ----------------------------------------------------------------------------------------

def _worker_command(path: str, out: str, args) -> list[str]:
    cmd = [sys.executable, "-m", "multanet_blender", "bake", "--worker", path]
    cmd += ["--in-place"] if args.in_place else ["--output-dir", os.path.dirname(out)]
    for s in args.strip:
        cmd += ["--strip", s]
    return cmd


def die_with_parent() -> None:
    """In a worker, before it runs: Linux sends it SIGKILL when the process that started it dies, so a
    killed batch never leaves workers writing files. Elsewhere a no-op."""
    if sys.platform.startswith("linux"):
        import ctypes
        import signal

        PR_SET_PDEATHSIG = 1
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)


def _run_workers(files: list[str], args, progress: Progress) -> list[FileResult]:
    """Each file in its own ``python -m multanet_blender bake --worker`` process, ``args.workers`` at a time."""
    pending = list(files)
    running: dict = {}
    results: dict[str, FileResult] = {}
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")])))
    while pending or running:
        while pending and len(running) < args.workers:
            path = pending.pop(0)
            proc = subprocess.Popen(_worker_command(path, destination(path, args), args), stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, text=True, env=env, preexec_fn=die_with_parent)
            running[proc] = path
            progress.show(f"baking {len(running)} file{'s' if len(running) > 1 else ''}")
        time.sleep(0.05)
        for proc in [p for p in running if p.poll() is not None]:
            path = running.pop(proc)
            stdout, stderr = proc.communicate()
            line = next((ln for ln in stdout.splitlines() if ln.startswith(RESULT_TAG)), None)
            if line is not None:
                results[path] = FileResult(**json.loads(line[len(RESULT_TAG):]))
            else:
                results[path] = FileResult(path=path, error=f"worker exited with status {proc.returncode}: "
                                                            f"{(stderr.strip().splitlines() or ['?'])[-1]}")
            progress.file_done(os.path.basename(path))
    return [results[f] for f in files]


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.workers < 1:
        parser().error("--workers must be at least 1")
    if args.worker:  # a child of _run_workers: one file, its result as one JSON line
        (path,) = args.files
        result = bake_file(os.path.abspath(path), destination(os.path.abspath(path), args), args.strip,
                           args.in_place)
        print(RESULT_TAG + json.dumps(asdict(result)), flush=True)
        return 0
    files = [os.path.abspath(f) for f in args.files]
    import bpy

    if not files:
        if not bpy.data.filepath:
            parser().error("no .blend files given (and no saved file is open)")
        files = [bpy.data.filepath]
        in_blender = True
    else:
        in_blender = False
    outs = [destination(f, args) for f in files]
    if len(set(outs)) != len(outs):
        parser().error("two files would be written to the same place: " +
                       ", ".join(sorted({o for o in outs if outs.count(o) > 1})))
    progress = Progress(len(files))
    if in_blender:
        _ensure_addon()
        results = [bake_open_file(files[0], outs[0], args.strip, args.in_place,
                                  lambda i, n, name: progress.show(name, i, n))]
        progress.file_done(os.path.basename(files[0]))
    elif args.workers > 1 and len(files) > 1:
        results = _run_workers(files, args, progress)
    else:
        results = []
        for path, out in zip(files, outs, strict=True):
            label = os.path.basename(path)
            results.append(bake_file(path, out, args.strip, args.in_place,
                                     lambda i, n, name, label=label: progress.show(f"{label}: {name}", i, n)))
            progress.file_done(label)
    progress.close()
    print(summary_table(results))
    return 0 if all(r.ok for r in results) else 1


def run_in_blender() -> None:
    """For ``blender -b SCENE.blend --python-expr``: the arguments after ``--``; exits Blender non-zero on failure."""
    argv = sys.argv[sys.argv.index("--") + 1:] if "--" in sys.argv else []
    code = main(argv)
    if code:
        sys.exit(code)
