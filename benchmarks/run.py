#!/usr/bin/env python3
"""Measure how fast scarsite builds and previews a synthetic site (`make bench`).

    python benchmarks/run.py [--sizes 1000,10000] [--runs 5] [--work /tmp/scarsite-bench-own]
                             [--scarsite PATH] [--seed 1] [--jobs N]

For each size, benchmarks/gen_corpus.py writes a site of that many articles into the work
folder (once: a corpus made by the same generator version, size and seed is reused; the
theme is always copied afresh from templates/ and static/). Then, each scenario the median
of --runs runs, scarsite runs as a separate process and its wall time and peak memory
(ru_maxrss from os.wait4) are taken:

  cold              .scarsite-cache and the output folder removed, then
                    `scarsite build --source SITE --output OUT --no-search`
  cold, --no-cache  the same with --no-cache (only if `scarsite build` has that flag)
  no-change         the same build again with nothing changed
  one-edit          a new paragraph appended to one article, then the build
  fresh clone,      the site and its .scarsite-cache copied to a new folder (new times and
  cache restored    inodes, as a CI checkout with the cache restored), built with no output yet
  preview           `scarsite serve` running; a marker sentence appended to an article, and
                    the time until the article's preview page contains it (1-2 s between
                    edits, at random, so they do not keep in step with a polling watcher)
  preview rebuild,  scarsite.serve.Preview(...).rebuild([edited file]) after the same kind of
  in-process        edit, timed inside one Python process (only if that class can be imported)

At 10,000 articles or more, cold builds run max(1, runs // 2) times. The articles edited
are put back as they were at the end. A Markdown table goes to stdout, progress to stderr.
Exit code 1, with the build's error output, if any build fails.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
PROJECT = HERE.parent
sys.path.insert(0, str(HERE))
import gen_corpus  # noqa: E402  (benchmarks/ is not a package)

CACHE_DIR = ".scarsite-cache"
PREVIEW_DIR = ".scarsite-cache/preview"
BIG = 10_000  # from this size on, fewer cold runs
POLL_SECONDS = 0.002  # how often the preview page is read while waiting for an edit
BETWEEN_EDITS = 1.0  # pause between two preview edits, plus a random part up to 1 s, so that
# the edits do not fall at the same point of a polling file watcher's cycle every time
SETTLE = 2.0  # after the preview is up, let the file watcher take its first look


class BenchError(Exception):
    """A build or the preview failed; the message says how, with its output."""


@dataclass
class Row:
    size: int
    scenario: str
    times: list[float] = field(default_factory=list)  # seconds
    peak_kib: int = 0
    unit: str = "s"
    note: str = ""

    def cell(self, seconds: float) -> str:
        if self.unit == "ms":
            return f"{seconds * 1000:.0f} ms"
        return f"{seconds:.2f} s"


@dataclass
class Scarsite:
    """The scarsite command under test, and which optional flags it has."""

    command: Path
    version: str
    build_flags: set[str]
    jobs: int | None
    package: Path | None = None  # the installed scarsite package folder, if found

    def code(self) -> tuple[tuple[str, int, int], ...]:
        """Size and time of each file of the scarsite package: if it changes during a
        scenario, a cache keyed by scarsite's code may have been thrown away mid-way."""
        if self.package is None:
            return ()
        found = []
        for path in sorted(self.package.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                stat = path.stat()
                found.append((str(path), stat.st_size, stat.st_mtime_ns))
        return tuple(found)

    @property
    def python(self) -> Path:
        """The interpreter of the scarsite install, for the in-process measurement."""
        candidate = self.command.parent / "python"
        return candidate if candidate.exists() else Path(sys.executable)

    def build(self, site: Path, output: Path, *extra: str) -> list[str]:
        command = [str(self.command), "build", "--source", str(site), "--output", str(output)]
        if "--no-search" in self.build_flags:
            command.append("--no-search")
        if self.jobs is not None and "--jobs" in self.build_flags:
            command += ["--jobs", str(self.jobs)]
        return command + list(extra)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def wait_for(pid: int) -> tuple[int, int]:
    """Reap `pid`: (exit code, its peak resident memory in KiB)."""
    _, status, usage = os.wait4(pid, 0)
    return os.waitstatus_to_exitcode(status), usage.ru_maxrss


def timed(command: list[str], what: str) -> tuple[float, int]:
    """Run one command to the end: (wall seconds, peak KiB). BenchError if it fails."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        process = subprocess.Popen(command, stdout=out, stderr=err, stdin=subprocess.DEVNULL)
        code, peak = wait_for(process.pid)
        seconds = time.perf_counter() - start
        process.returncode = code  # reaped by wait4; tell Popen so it does not try again
        if code != 0:
            err.seek(0)
            out.seek(0)
            text = (err.read() or out.read()).decode("utf-8", "replace")
            raise BenchError(f"{what} failed (exit code {code}): {' '.join(command)}\n"
                             f"{text[-5000:]}")
    return seconds, peak


def inspect(command: Path, jobs: int | None) -> Scarsite:
    if not command.exists():
        raise SystemExit(f"{command} not found; run `make build` first or pass --scarsite")
    version = subprocess.run([str(command), "--version"], capture_output=True, text=True,
                             check=True).stdout.strip()
    help_text = subprocess.run([str(command), "build", "--help"], capture_output=True,
                               text=True, check=True).stdout
    flags = {word.strip("[],") for word in help_text.split() if word.startswith(("--", "[--"))}
    tool = Scarsite(command, version, flags, jobs)
    where = subprocess.run([str(tool.python), "-c", "import scarsite; print(scarsite.__file__)"],
                           capture_output=True, text=True)
    if where.returncode == 0 and where.stdout.strip():
        tool.package = Path(where.stdout.strip()).parent
    return tool


CODE_CHANGED = "scarsite's code changed during these runs: not a fair measurement"


def check_code(tool: Scarsite, before: tuple[tuple[str, int, int], ...], row: Row) -> None:
    """Mark `row` if scarsite's own files changed while it was being measured."""
    if tool.code() != before:
        row.note = f"{row.note}; {CODE_CHANGED}" if row.note else CODE_CHANGED
        log(f"  warning: {row.scenario}: {CODE_CHANGED}")


def corpus(site: Path, size: int, seed: int) -> None:
    """Generate the site unless the same generator already made it with this size and seed."""
    stamp = site / gen_corpus.STAMP
    with contextlib.suppress(OSError, ValueError):
        if json.loads(stamp.read_text()) == gen_corpus.stamp(size, seed):
            gen_corpus.copy_theme(site)
            log(f"{size} articles: reusing {site}")
            return
    log(f"{size} articles: generating {site}")
    gen_corpus.generate(size, site, seed)


def articles_of(site: Path) -> list[Path]:
    content = site / "content"
    return sorted(p for p in content.rglob("*.md") if p.parent.name != "pages"
                  and p.relative_to(content).parts[0] != "pages")


def preview_page(site: Path, article: Path) -> Path:
    section, slug = article.parent.name, article.stem
    return site / PREVIEW_DIR / section / slug / "index.html"


def append(path: Path, text: str) -> None:
    with path.open("a", encoding="utf-8") as file:
        file.write(text)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --- the scenarios ---------------------------------------------------------------------------

def measure_builds(tool: Scarsite, site: Path, output: Path, size: int, runs: int,
                   edited: Path) -> list[Row]:
    cold_runs = max(1, runs // 2) if size >= BIG else runs
    note = f"{cold_runs} of --runs {runs} at {BIG:,}+ articles" if cold_runs != runs else ""
    rows = []

    def cold(extra: tuple[str, ...], name: str) -> Row:
        row = Row(size, name, note=note)
        code = tool.code()
        for number in range(cold_runs):
            shutil.rmtree(site / CACHE_DIR, ignore_errors=True)
            shutil.rmtree(output, ignore_errors=True)
            seconds, peak = timed(tool.build(site, output, *extra), f"{name} build")
            row.times.append(seconds)
            row.peak_kib = max(row.peak_kib, peak)
            log(f"  {name} {number + 1}/{cold_runs}: {seconds:.2f} s")
        check_code(tool, code, row)
        return row

    if "--no-cache" in tool.build_flags:
        rows.append(cold(("--no-cache",), "cold, --no-cache"))
    rows.append(cold((), "cold"))

    row = Row(size, "no-change")
    code = tool.code()
    for number in range(runs):
        seconds, peak = timed(tool.build(site, output), "no-change build")
        row.times.append(seconds)
        row.peak_kib = max(row.peak_kib, peak)
        log(f"  no-change {number + 1}/{runs}: {seconds:.2f} s")
    check_code(tool, code, row)
    rows.append(row)

    row = Row(size, "one-edit", note=f"appends to {edited.relative_to(site)}")
    code = tool.code()
    for number in range(runs):
        append(edited, f"\n\nBenchmark edit {number} at {time.time_ns()}: one more plain "
                       "paragraph for the build to notice.\n")
        seconds, peak = timed(tool.build(site, output), "one-edit build")
        row.times.append(seconds)
        row.peak_kib = max(row.peak_kib, peak)
        log(f"  one-edit {number + 1}/{runs}: {seconds:.2f} s")
    check_code(tool, code, row)
    rows.append(row)

    # As CI runs: a fresh clone (new files, times and inodes) with .scarsite-cache/ restored.
    row = Row(size, "fresh clone, cache restored", note="site and cache copied anew, no output")
    clone = site.with_name(f"{site.name}-clone")
    for number in range(runs):
        shutil.rmtree(clone, ignore_errors=True)
        shutil.copytree(site, clone, copy_function=shutil.copyfile,
                        ignore=shutil.ignore_patterns("preview"))
        seconds, peak = timed(tool.build(clone, clone / "build"), "restored-cache build")
        row.times.append(seconds)
        row.peak_kib = max(row.peak_kib, peak)
        log(f"  fresh clone, cache restored {number + 1}/{runs}: {seconds:.2f} s")
    shutil.rmtree(clone, ignore_errors=True)
    rows.append(row)
    return rows


class Server:
    """`scarsite serve` as a child process, its output collected by a thread."""

    def __init__(self, tool: Scarsite, site: Path) -> None:
        self.port = free_port()
        self.process = subprocess.Popen(
            [str(tool.command), "serve", "--source", str(site), "--port", str(self.port)],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True)  # its own process group: any workers it starts go with it
        self.lines: list[str] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        self.peak_kib = 0

    def _read(self) -> None:
        assert self.process.stdout is not None
        for raw in self.process.stdout:
            self.lines.append(raw.decode("utf-8", "replace").rstrip())

    def said(self, word: str) -> bool:
        return any(word in line for line in self.lines)

    def running(self) -> bool:
        return self.process.returncode is None and self._reap(os.WNOHANG)

    def _reap(self, flags: int) -> bool:
        """True while the process runs; else note its exit code and peak memory."""
        if self.process.returncode is not None:
            return False
        pid, status, usage = os.wait4(self.process.pid, flags)
        if pid == 0:
            return True
        self.process.returncode = os.waitstatus_to_exitcode(status)
        self.peak_kib = usage.ru_maxrss
        return False

    def _signal_group(self, number: int) -> bool:
        """Send `number` to the server's process group; False when nothing is left in it."""
        try:
            os.killpg(self.process.pid, number)
        except ProcessLookupError:
            return False
        return True

    def stop(self) -> None:
        """Terminate the server and its workers, killing them after 5 s; always reaped."""
        self._signal_group(signal.SIGTERM)
        deadline = time.monotonic() + 5
        while self._reap(os.WNOHANG) and time.monotonic() < deadline:
            time.sleep(0.05)
        while self._signal_group(0) and time.monotonic() < deadline:
            time.sleep(0.05)  # workers the server started, finishing after it
        self._signal_group(signal.SIGKILL)
        self._reap(0)
        self.reader.join(timeout=5)
        if self.process.stdout is not None:
            self.process.stdout.close()

    def output(self) -> str:
        return "\n".join(self.lines[-40:])


def measure_preview(tool: Scarsite, site: Path, size: int, runs: int,
                    edited: Path) -> Row:
    page = preview_page(site, edited)
    shutil.rmtree(site / PREVIEW_DIR, ignore_errors=True)
    server = Server(tool, site)
    row = Row(size, "preview: save to page updated", unit="ms",
              note=f"`scarsite serve`, page {page.relative_to(site)}")
    startup = 120 + size * 0.03
    jitter = random.Random(size)
    try:
        start = time.monotonic()
        while not (server.said("previewing") and page.is_file()):
            if not server.running():
                raise BenchError(f"`scarsite serve` stopped:\n{server.output()}")
            if server.said("FAILED"):
                raise BenchError(f"the preview build failed:\n{server.output()}")
            if time.monotonic() - start > startup:
                raise BenchError(f"the preview was not up after {startup:.0f} s:\n"
                                 f"{server.output()}")
            time.sleep(0.05)
        log(f"  preview up in {time.monotonic() - start:.1f} s on port {server.port}")
        time.sleep(SETTLE)
        for number in range(runs):
            marker = f"zqbench{os.getpid()}x{number}x{time.time_ns()}"
            append(edited, f"\n\nThis sentence carries the benchmark marker {marker}.\n")
            saved = time.perf_counter()
            wanted = marker.encode()
            limit = saved + 60 + size * 0.01
            while True:
                with contextlib.suppress(OSError):  # the folder is swapped in as a whole
                    if wanted in page.read_bytes():
                        break
                now = time.perf_counter()
                if now > limit:
                    raise BenchError(f"the preview page did not show edit {number + 1} within "
                                     f"{now - saved:.0f} s:\n{server.output()}")
                if not server.running():
                    raise BenchError(f"`scarsite serve` stopped:\n{server.output()}")
                time.sleep(POLL_SECONDS)
            latency = time.perf_counter() - saved
            row.times.append(latency)
            log(f"  preview {number + 1}/{runs}: {latency * 1000:.0f} ms")
            time.sleep(BETWEEN_EDITS + jitter.random())
        if server.said("FAILED"):
            raise BenchError(f"a preview rebuild failed:\n{server.output()}")
    finally:
        server.stop()
    row.peak_kib = server.peak_kib
    return row


def measure_in_process(tool: Scarsite, site: Path, size: int, runs: int, edited: Path,
                       work: Path) -> Row | None:
    """Preview.rebuild() after an edit, timed inside a child Python of the scarsite install."""
    output = work / f"preview-in-process-{size}"
    shutil.rmtree(output, ignore_errors=True)
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        process = subprocess.Popen(
            [str(tool.python), str(Path(__file__).resolve()), "--in-process-child", str(site),
             str(edited), str(output), str(runs)], stdout=out, stderr=err,
            stdin=subprocess.DEVNULL)
        code, peak = wait_for(process.pid)
        process.returncode = code
        out.seek(0)
        err.seek(0)
        text, errors = out.read().decode(), err.read().decode("utf-8", "replace")
    shutil.rmtree(output, ignore_errors=True)
    if code != 0:
        raise BenchError(f"in-process preview rebuild failed (exit code {code}):\n"
                         f"{errors[-5000:]}")
    result = json.loads(text)
    if not result["available"]:
        log(f"  in-process preview: skipped ({result['reason']})")
        return None
    for number, seconds in enumerate(result["times"]):
        log(f"  in-process rebuild {number + 1}/{runs}: {seconds * 1000:.0f} ms")
    return Row(size, "preview rebuild, in-process", result["times"], peak, "ms",
               f"Preview.rebuild() after an edit; first full rebuild "
               f"{result['first'] * 1000:.0f} ms")


def in_process_child(site: Path, edited: Path, output: Path, runs: int) -> int:
    """Run by measure_in_process with scarsite's own Python; prints JSON."""
    try:
        from scarsite.serve import Preview
    except ImportError as exc:
        print(json.dumps({"available": False, "reason": f"cannot import Preview: {exc}"}))
        return 0
    preview = Preview(site, drafts=False, output=output)
    start = time.perf_counter()
    report = preview.rebuild()
    first = time.perf_counter() - start
    if hasattr(preview, "jobs"):
        preview.jobs = 1  # as `scarsite serve` does once its first build is done
    names_changes = "changed" in preview.rebuild.__code__.co_varnames
    times = []
    for number in range(runs):
        if not report.ok:
            for problem in report.problems.sorted():
                print(problem, file=sys.stderr)
            return 1
        marker = f"zqinproc{number}x{time.time_ns()}"
        append(edited, f"\n\nThis sentence carries the benchmark marker {marker}.\n")
        start = time.perf_counter()
        # Named, as `scarsite serve`'s file watcher names the files it saw change.
        report = preview.rebuild([edited]) if names_changes else preview.rebuild()
        times.append(time.perf_counter() - start)
        page = output / edited.parent.name / edited.stem / "index.html"
        if report.ok and marker not in page.read_text(encoding="utf-8"):
            print(f"{page} does not show the edit", file=sys.stderr)
            return 1
    if not report.ok:
        for problem in report.problems.sorted():
            print(problem, file=sys.stderr)
        return 1
    print(json.dumps({"available": True, "first": first, "times": times}))
    return 0


# --- the report ------------------------------------------------------------------------------

def table(rows: list[Row]) -> str:
    lines = ["| articles | scenario | median | min | max | runs | peak MiB | note |",
             "|---:|---|---:|---:|---:|---:|---:|---|"]
    for row in rows:
        lines.append(f"| {row.size:,} | {row.scenario} | "
                     f"{row.cell(statistics.median(row.times))} | {row.cell(min(row.times))} | "
                     f"{row.cell(max(row.times))} | {len(row.times)} | "
                     f"{row.peak_kib / 1024:.0f} | {row.note} |")
    return "\n".join(lines)


def notes(rows: list[Row], tool: Scarsite) -> list[str]:
    found = []
    by_key = {(r.size, r.scenario): r for r in rows}
    for size in sorted({r.size for r in rows}):
        latency = by_key.get((size, "preview: save to page updated"))
        rebuild = by_key.get((size, "preview rebuild, in-process"))
        if latency and rebuild:
            gap = statistics.median(latency.times) - statistics.median(rebuild.times)
            if gap > 0:
                found.append(f"- {size:,} articles: from save to updated page, the preview "
                             f"takes {gap * 1000:.0f} ms (median) longer than the in-process "
                             "rebuild; that is mostly the file watcher noticing the change.")
            else:
                found.append(f"- {size:,} articles: the in-process rebuild took longer than "
                             "the whole save-to-page time of the preview; too few runs, or a "
                             "busy machine?")
    if "--jobs" in tool.build_flags:
        jobs = f"--jobs {tool.jobs}" if tool.jobs is not None else \
            f"scarsite's default (--jobs not passed; this machine has {os.cpu_count()} cores)"
        found.append(f"- jobs: {jobs}. Peak MiB is that of the largest single process (the "
                     "build or one of its workers), not their sum.")
    return found


def machine(tool: Scarsite) -> str:
    python = subprocess.run([str(tool.python), "-c", "import platform; "
                             "print(platform.python_version())"],
                            capture_output=True, text=True).stdout.strip() or "unknown"
    return (f"{os.cpu_count()} CPUs ({platform.machine()}, {platform.system()} "
            f"{platform.release()}), Python {python} (scarsite), "
            f"{platform.python_version()} (this script)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000,10000",
                        help="article counts, comma-separated (default: 1000,10000)")
    parser.add_argument("--runs", type=int, default=5, help="runs per scenario (default: 5)")
    parser.add_argument("--work", type=Path, default=Path("/tmp/scarsite-bench-own"),
                        help="where the sites and outputs go (default: /tmp/scarsite-bench-own)")
    parser.add_argument("--scarsite", type=Path, default=PROJECT / ".venv" / "bin" / "scarsite",
                        help="the scarsite command (default: the project's .venv)")
    parser.add_argument("--seed", type=int, default=1, help="corpus seed (default: 1)")
    parser.add_argument("--jobs", type=int, help="pass --jobs N to builds, if scarsite has it")
    parser.add_argument("--in-process-child", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.in_process_child:  # keeps the default SIGTERM: its build may fork pool workers
        site, edited, output, runs = args.in_process_child
        return in_process_child(Path(site), Path(edited), Path(output), int(runs))
    # On SIGTERM, unwind like Ctrl+C: the preview server is stopped and the edits undone.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    except ValueError:
        parser.error(f"--sizes {args.sizes!r}: give whole numbers such as 1000,10000")
    if not sizes or min(sizes) < 4 or args.runs < 1:
        parser.error("each size must be at least 4 and --runs at least 1")

    tool = inspect(args.scarsite.absolute(), args.jobs)
    if args.jobs is not None and "--jobs" not in tool.build_flags:
        log("note: this scarsite has no --jobs flag; --jobs ignored")
    work = args.work.absolute()
    work.mkdir(parents=True, exist_ok=True)
    rows: list[Row] = []
    for size in sizes:
        site = work / f"site-{size}"
        corpus(site, size, args.seed)
        articles = articles_of(site)
        edited = articles[len(articles) // 2]
        original = edited.read_bytes()
        stamp = (site / gen_corpus.STAMP).read_text()
        (site / gen_corpus.STAMP).unlink()  # if this run dies, the corpus is made again
        try:
            rows += measure_builds(tool, site, work / f"out-{size}", size, args.runs, edited)
            rows.append(measure_preview(tool, site, size, args.runs, edited))
            in_process = measure_in_process(tool, site, size, args.runs, edited, work)
            if in_process is not None:
                rows.append(in_process)
        except BenchError as exc:
            print(f"benchmark failed at {size} articles: {exc}", file=sys.stderr)
            return 1
        finally:
            edited.write_bytes(original)
            (site / gen_corpus.STAMP).write_text(stamp)

    print(f"\n## scarsite benchmark\n\n- {tool.version} ({tool.command})\n- {machine(tool)}")
    print("- builds: `scarsite build --no-search` as a separate process: wall time, and peak "
          "resident memory of that process; the median, min and max of the runs column\n")
    print(table(rows))
    extra = notes(rows, tool)
    if extra:
        print("\n" + "\n".join(extra))
    return 0


if __name__ == "__main__":
    sys.exit(main())
