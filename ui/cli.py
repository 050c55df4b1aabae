"""The `sourcebook` command line: ingest, ask, search, refs, check, glossary, eval, info and serve.

Every subcommand takes --index DIR, so several corpora can live side by side.
Expected failures (bad files, a missing or incompatible index) print one line and
exit non-zero; they never print a traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import nullcontext
from dataclasses import replace
from pathlib import Path
from typing import Any

from index.errors import SourcebookError, shown
from index.settings import ReadSettings, Settings, default_corpus_dir, default_index_dir
from ui.render import location, page_text, section_text

EXIT_OK, EXIT_FAILED_FILES, EXIT_ERROR = 0, 1, 2


class CliError(SourcebookError):
    """A failure of the command line's own (a missing question file, an unknown term)."""


def _settings(args: argparse.Namespace) -> Settings:
    s = Settings()
    if getattr(args, "k", None):
        s = s.with_(k=args.k)
    return s


def _engine(args: argparse.Namespace) -> Any:
    from index.engine import open_engine

    return open_engine(Path(args.index), _settings(args))


def _questions(arg: str) -> Iterator[str]:
    """The question itself, or with "-" one question per non-blank line of standard input."""
    if arg != "-":
        yield arg
        return
    for line in sys.stdin:
        if line.strip():
            yield line.rstrip("\n")


def _print_json(obj: Any) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False) + "\n")
    sys.stdout.flush()


# --- subcommands ----------------------------------------------------------------


def cmd_ingest(args: argparse.Namespace) -> int:
    from ingest.pipeline import ingest

    paths = [Path(p) for p in args.paths] or [default_corpus_dir()]

    def report_error(err: Any) -> None:
        print(f"error: {err}", file=sys.stderr)

    # A bad input as a whole (InputError) is a SourcebookError: main() prints it as one line.
    settings = _settings(args).with_(follow_links=True) if args.follow_links else _settings(args)
    limits = {name: value for name, value in (("memory_mb", args.read_memory), ("seconds", args.read_seconds))
              if value is not None}
    settings = settings.with_(read=replace(settings.read, **limits)) if limits else settings
    work = _ray_work(args.ray, settings) if args.ray is not None else None
    with work or nullcontext():
        report = ingest(paths, Path(args.index), settings, progress=sys.stderr.isatty(),
                        on_error=report_error, force=args.force, work=work)
    for warning in report.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    print(report.summary())
    return EXIT_FAILED_FILES if report.errors else EXIT_OK


# `--ray` alone: a Ray started on this machine. An address is "auto", "local", ray://HOST:PORT or HOST:PORT;
# anything else is most likely a corpus folder that followed a bare --ray.
_LOCAL_RAY = ""
_RAY_ADDRESS = re.compile(r"auto|local|ray://\S+|[\w.\-\[\]:]+:\d+")


def _ray_work(address: str, settings: Settings) -> Any:
    """The RayWork for `ingest --ray [ADDRESS]` (ingest/cluster.py; a one-line error without the extra)."""
    if address != _LOCAL_RAY and not _RAY_ADDRESS.fullmatch(address):
        raise CliError(f"--ray {address!r}: not a Ray address (auto, ray://HOST:10001, HOST:6379); "
                       "to start Ray on this machine, put --ray after the paths")
    from ingest.cluster import RayWork

    return RayWork(address or None, settings)


def _format_answer(answer: Any) -> str:
    lines = [answer.text, ""]
    if answer.abstained:
        if answer.nearest:
            lines.append("Closest passages:")
            for hit in answer.nearest:
                p = hit.passage
                where = location(p.title, p.page, p.page_label)
                lines.append(f"  - {where} ({hit.score:.2f}): {p.text[:200]}")
        return "\n".join(lines).rstrip()
    for c in answer.citations:
        p = c.passage
        where = location(p.title, c.page, c.page_label) + f" [{p.document}:{p.start}-{p.end}]"
        lines.append(f"[{c.marker}] {where}")
        if p.section_path:
            lines.append(f"    § {section_text(p.section_path)}")
        lines.append(f"    “{c.quote}”")
        for r in c.references:
            lines.append(f"    ↳ {r.raw}")
    if answer.glossary:
        lines.append("")
        lines.append("Glossary: " + "; ".join(f"{g.term}: {g.definition}" for g in answer.glossary))
    return "\n".join(lines).rstrip()


def cmd_ask(args: argparse.Namespace) -> int:
    engine = _engine(args)
    for q in _questions(args.question):
        answer = engine.ask(q, k=args.k)
        if args.json:
            _print_json(answer.to_json())
        else:
            print(_format_answer(answer))
            if args.question == "-":
                print()
    return EXIT_OK


def cmd_search(args: argparse.Namespace) -> int:
    engine = _engine(args)
    for q in _questions(args.query):
        hits = engine.search(q, k=args.k, mode=args.mode)
        if args.json:
            _print_json({"query": q, "results": [h.to_json() for h in hits]})
        else:
            print(f"# {q}")
            for i, h in enumerate(hits, 1):
                p = h.passage
                print(f"{i}. {h.score:.3f} {p.title} [{p.document}:{p.start}-{p.end}] {p.text[:160]}")
    return EXIT_OK


def cmd_eval(args: argparse.Namespace) -> int:
    from index.evaluate import evaluate

    paths = [Path(f) for f in args.file]
    for path in paths:
        if not path.is_file():
            raise CliError(f"{path}: no such question file")
    try:
        engine = _engine(args)
        report = evaluate(engine.ask, engine.search, paths, mode=args.mode, answers=not args.ranking_only)
    except (ValueError, KeyError, TypeError) as exc:
        names = ", ".join(str(p) for p in paths)
        raise CliError(f"{names}: not a question file ({type(exc).__name__}: {exc})") from exc
    if args.json:
        _print_json(report.totals)
    else:
        print(report.text())
    return EXIT_OK


def cmd_refs(args: argparse.Namespace) -> int:
    from index.audit import audit
    from index.bibtex import to_bibtex

    engine = _engine(args)
    if args.bibtex:
        sys.stdout.write(to_bibtex(engine.references))
        return EXIT_OK
    result = audit(engine.corpus)
    if args.json:
        _print_json(result.to_json())
    else:
        print(result.text())
    return EXIT_OK


def cmd_check(args: argparse.Namespace) -> int:
    from index.claims import check_claim

    engine = _engine(args)
    for claim in _questions(args.claim):
        result = check_claim(engine.corpus, claim)
        if args.json:
            _print_json(result.to_json())
        else:
            print(f"{result.verdict} ({result.score:.2f}): {claim}")
            if result.reasons:
                print(f"  why: {'; '.join(result.reasons)}")
            for c in result.evidence:
                print(f"  [{c.marker}] {c.passage.title}: “{c.quote}”")
                for r in c.references:
                    print(f"      ↳ {r.raw}")
    return EXIT_OK


def cmd_glossary(args: argparse.Namespace) -> int:
    engine = _engine(args)
    if not args.term:
        entries = engine.terms.entries_sorted()
        if args.json:
            _print_json([e.to_json() for e in entries])
        else:
            for e in entries:
                print(f"{e.term}: {e.definition}")
        return EXIT_OK
    entry = engine.terms.lookup(args.term)
    if entry is None:
        close = engine.terms.closest(args.term)
        hint = f"; closest terms: {', '.join(close)}" if close else "; the glossary is empty"
        raise CliError(f"no glossary entry for {args.term!r}{hint}")
    if args.json:
        _print_json(entry.to_json())
    else:
        print(f"{entry.term} ({entry.kind})")
        if entry.aliases:
            print(f"  also: {', '.join(entry.aliases)}")
        print(f"  {entry.definition}")
        if entry.citation:
            where = page_text(entry.citation.page, entry.citation.page_label)
            page = f", {where}" if where else ""
            print(f"  — {entry.citation.document}{page} [{entry.citation.passage_id}]")
        if entry.related:
            print(f"  related: {', '.join(entry.related)}")
        print(f"  mentions: {entry.mention_count}")
    return EXIT_OK


def cmd_info(args: argparse.Namespace) -> int:
    """The live generation at a glance, read from its manifest (nothing is loaded or verified)."""
    from index import bundle

    index_dir = Path(args.index)
    gen = bundle.current_generation(index_dir)
    manifest = bundle.read_manifest(index_dir)
    if gen is None or manifest is None:
        raise CliError(f"{index_dir}: no index here yet; build one with `sourcebook ingest --index {index_dir}`")
    size = sum(f.stat().st_size for f in gen.iterdir() if f.is_file())
    counts = manifest.get("counts", {})
    info = {"index": str(index_dir), "generation": gen.name, "format_version": manifest.get("format_version"),
            "model": manifest.get("model"), "built_at": manifest.get("built_at"), "counts": counts,
            "faiss": manifest.get("faiss"), "bytes": size}
    if args.json:
        _print_json(info)
        return EXIT_OK
    print(f"index: {index_dir} ({gen.name}, format {info['format_version']}, {size / 1e6:,.1f} MB)")
    print(f"model: {info['model']}, built {info['built_at']}")
    print("counts: " + ", ".join(f"{n:,} {name.replace('_', ' ')}" for name, n in counts.items()))
    print(f"FAISS: {bundle.describe_faiss(manifest)}")
    return EXIT_OK


def _collections(args: argparse.Namespace) -> dict[str, str]:
    """{name: absolute index folder}: --index under its folder's name, then each --collection NAME=DIR."""
    found = {Path(args.index).resolve().name.lstrip(".") or "index": str(Path(args.index).resolve())}
    for item in args.collection:
        name, sep, folder = item.partition("=")
        if not sep or not name.strip() or not folder.strip():
            raise CliError(f"--collection {item!r}: give it as NAME=DIR")
        if name.strip() in found:
            raise CliError(f"--collection {item!r}: the name {name.strip()!r} is taken")
        found[name.strip()] = str(Path(folder).resolve())
    return found


def cmd_serve(args: argparse.Namespace) -> int:
    app = Path(__file__).with_name("app.py")
    corpus = Path(args.corpus) if args.corpus else default_corpus_dir()
    if args.corpus and not args.read_only:
        corpus.mkdir(parents=True, exist_ok=True)  # named on purpose: documents may be added from the browser
    # Absolute paths: the app does not depend on the directory Streamlit is started from.
    env = dict(os.environ, SOURCEBOOK_INDEX=str(Path(args.index).resolve()), SOURCEBOOK_CORPUS=str(corpus.resolve()),
               SOURCEBOOK_READ_ONLY="1" if args.read_only else "",
               SOURCEBOOK_COLLECTIONS=json.dumps(_collections(args)) if args.collection else "")
    # Streamlit's own upload limit (whole MiB) stops oversized bodies before they are held in memory.
    max_upload_mb = max(1, -(-Settings().upload.max_upload_bytes // 2**20))
    command = [
        # ui/serve.py loads every index before Streamlit starts, so "healthy" means ready to answer.
        sys.executable, "-m", "ui.serve", str(app),
        "--server.port", str(args.port), "--server.address", args.address,
        "--server.headless", "true", "--browser.gatherUsageStats", "false",
        "--client.toolbarMode", "minimal", "--server.maxUploadSize", str(max_upload_mb),
        # Streamlit collects garbage after every run: with an index loaded that is ~500k objects
        # and 0.3-0.8 s during which every session waits (bench/load.py: 4-5x the throughput off).
        "--runner.postScriptGC", "false",
        # A served app does not change under it; watching its files only costs CPU.
        "--server.fileWatcherType", "none",
        # The app writes every element explicitly. Magic rewrites the script's syntax tree on the
        # first visit (~0.05 s) and would show the value of any bare expression.
        "--runner.magicEnabled", "false",
    ]
    where = "read-only" if args.read_only else f"corpus {corpus}"
    print(f"Sourcebook on http://{args.address}:{args.port} (index {args.index}, {where})", flush=True)
    # Streamlit replaces this process, so a SIGTERM (kill, systemd, a test) reaches the server
    # itself: a child behind a waiting parent kept the port after the parent was stopped.
    os.execve(sys.executable, command, env)


# --- parser -----------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="sourcebook", description=__doc__.splitlines()[0] if __doc__ else None)
    sub = parser.add_subparsers(dest="command", required=True)

    # The options several commands share, declared once: --index on every command; --json,
    # -k and --mode with the help that says what they mean for that command.
    def add(name: str, func: Callable[[argparse.Namespace], int], help: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help, description=help)
        p.add_argument("--index", default=str(default_index_dir()), help="index folder (default: %(default)s)")
        p.set_defaults(func=func)
        return p

    def json_flag(p: Any, help: str) -> None:  # a parser or a mutually exclusive group
        p.add_argument("--json", action="store_true", help=help)

    def k_option(p: argparse.ArgumentParser, default: int | None, help: str) -> None:
        p.add_argument("-k", type=int, default=default, help=help)

    def mode_option(p: argparse.ArgumentParser, help: str) -> None:
        p.add_argument("--mode", choices=["hybrid", "dense", "keyword"], default="hybrid", help=help)

    p = add("ingest", cmd_ingest, "build or update the index from files and folders")
    p.add_argument("paths", nargs="*", help=f"files or folders (default: {default_corpus_dir()})")
    p.add_argument("--force", action="store_true", help="rebuild even if nothing changed")
    p.add_argument("--follow-links", action="store_true",
                   help="follow symbolic links that lead out of a corpus folder (refused by default)")
    read = ReadSettings()
    p.add_argument("--read-memory", type=int, metavar="MB",
                   help=f"memory a file may take to read, in its own process (default: {read.memory_mb})")
    p.add_argument("--read-seconds", type=float, metavar="S",
                   help=f"time a file may take to read (default: {read.seconds:g})")
    p.add_argument("--ray", nargs="?", const=_LOCAL_RAY, metavar="ADDRESS",
                   help="read and embed on a Ray cluster: auto, ray://HOST:10001 or HOST:6379 to attach to one, "
                        "none to start Ray on this machine; the index is still written here "
                        "(needs pip install -e '.[ray]')")

    p = add("ask", cmd_ask, "answer a question from the corpus, with citations")
    p.add_argument("question", help='the question, or "-" to read one per line from standard input')
    json_flag(p, "print one JSON object per question, one per line")
    k_option(p, None, "passages to draw the answer from")

    p = add("search", cmd_search, "the passages that best match a query")
    p.add_argument("query", help='the query, or "-" to read one per line from standard input')
    json_flag(p, "print one JSON object per query, one per line")
    k_option(p, 10, "how many passages (default: %(default)s)")
    mode_option(p, argparse.SUPPRESS)

    p = add("refs", cmd_refs, "every reference with the sentences that cite it, and an audit of the citations")
    fmt = p.add_mutually_exclusive_group()
    json_flag(fmt, "print the references and the audit as one JSON object")
    fmt.add_argument("--bibtex", action="store_true", help="print the references as BibTeX")

    p = add("check", cmd_check, "is a claim supported, contradicted or not supported by the corpus?")
    p.add_argument("claim", help='the claim, or "-" to read one per line from standard input')
    json_flag(p, "print one JSON object per claim, one per line")

    p = add("glossary", cmd_glossary, "the glossary built from the corpus, or one entry")
    p.add_argument("term", nargs="?", help="a term or alias (case, dashes and small misspellings are forgiven)")
    json_flag(p, "print JSON")

    p = add("eval", cmd_eval, "score question sets (QA, page or retrieval format, with negatives) against the index")
    p.add_argument("file", nargs="+", help=".jsonl question files, scored as one set (say, questions and negatives)")
    p.add_argument("--ranking-only", action="store_true", help="retrieval sets: score the ranking, not the answers")
    json_flag(p, "print the totals as one JSON object")
    mode_option(p, "ranking for retrieval sets (default: %(default)s)")
    k_option(p, None, "passages to draw each answer from")

    p = add("info", cmd_info, "the index at a glance: counts, size, the FAISS index type and its measured recall")
    json_flag(p, "print one JSON object")

    p = add("serve", cmd_serve, "start the web app")
    p.add_argument("--port", type=int, default=8501)
    p.add_argument("--address", default="localhost", help="listen address (default: %(default)s; no authentication)")
    p.add_argument("--corpus", default=None,
                   help=f"folder that documents added in the browser go to (default: {default_corpus_dir()})")
    p.add_argument("--read-only", action="store_true", help="do not offer adding documents from the browser")
    p.add_argument("--collection", action="append", default=[], metavar="NAME=DIR",
                   help="serve another index beside --index, chosen in the sidebar (repeat for more; "
                        "documents are then added with `sourcebook ingest`, not from the browser)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `sourcebook` command; returns the exit status."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except SourcebookError as exc:  # bad input, a missing or incompatible index or model, CliError
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except BrokenPipeError:
        return EXIT_OK
    except OSError as exc:  # a read-only filesystem, no permission, a full disk: the path and the reason
        reason = exc.strerror or type(exc).__name__
        print(f"error: {shown(str(exc.filename))}: {reason}" if exc.filename else f"error: {reason}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
