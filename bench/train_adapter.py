#!/usr/bin/env python3
"""Train the query adapter (index/query_adapter.npy) on question-headed sections of documentation packages.

Training data: every section whose heading is a question ("How do I ...?") in the HTML of the Debian
packages below (bookworm versions as fetched on 2026-12-02 with `apt-get download`), paired with the
prose under it, the heading removed from it as the Python-docs benchmark removes its FAQ headings.
None of them is a benchmark's source: not python3.x-doc, not r-doc-pdf, no r-cran-* package.

Model: q' = normalise(W q) for a question vector q; passage and sentence vectors stay as they are.
W = I + D, D a full 384 x 384 matrix, found by full-batch Adam (100 steps, lr 0.01, from D = 0, so no
seed matters) on three softmax (InfoNCE, temperature 0.05) losses that pull each question toward its
section's passages (packed up to 450 characters), its first two sentences' in-passage vectors and
their vectors read alone, against every other section's, plus 0.1 |D|^2 to stay near the identity.

usage: bench/train_adapter.py [--workdir DIR] [--loso] [--out index/query_adapter.npy]
--loso first prints leave-one-package-out figures (identity against the adapter, scored within the
held-out package): top passage, top sentence among the section's first two (in-passage and alone).
"""
from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import numpy as np

PACKAGES = [  # name=version (Debian 12); each ships HTML documentation with question headings
    "bash-doc=5.2.15-2", "cython-doc=0.29.32-2", "debian-faq=11.1", "docutils-doc=0.19+dfsg-6",
    "git-doc=1:2.39.5-0+deb12u3", "python-aiohttp-doc=3.8.4-1+deb12u2", "python-astropy-doc=5.2.1-2+deb12u1",
    "python-attr-doc=22.2.0-1", "python-bottle-doc=0.12.23-1.1", "python-celery-doc=5.2.6-5",
    "python-cffi-doc=1.15.1-5", "python-cryptography-doc=38.0.4-3+deb12u1",
    "python-django-doc=3:3.2.25-0+deb12u7", "python-flask-doc=2.2.2-3", "python-gevent-doc=22.10.2-3",
    "python-h5py-doc=3.7.0-8", "python-hypothesis-doc=6.67.1-1", "python-jinja2-doc=3.1.2-1+deb12u3",
    "python-kombu-doc=5.2.4-1", "python-ldap-doc=3.4.3-2+deb12u1", "python-lmfit-doc=1.1.0-1",
    "python-lxml-doc=4.9.2-1+deb12u1", "python-mako-doc=1.2.4+ds-1", "python-psycopg2-doc=2.9.5-1",
    "python-pygments-doc=2.14.0+dfsg-1", "python-pymongo-doc=3.11.0-1+deb12u2", "python-pytest-doc=7.2.1-2",
    "python-requests-doc=2.28.1+dfsg-1", "python-scrapy-doc=2.8.0-2", "python-setuptools-doc=66.1.1-1+deb12u2",
    "python-sklearn-doc=1.2.1+dfsg-1", "python-sqlalchemy-doc=1.4.46+ds1-1",
    "python-statsmodels-doc=0.13.5+dfsg-7", "python-tables-doc=3.7.0-5", "python-tornado-doc=6.2.0-3+deb12u4",
    "python-werkzeug-doc=2.2.2-3+deb12u1", "sphinx-doc=5.3.0-4", "sqlite3-doc=3.40.1-2+deb12u2", "zsh-doc=5.9-4",
]
FORBIDDEN = re.compile(r"^(python3(\.\d+)?-doc|r-doc-pdf|r-cran-.*)$")  # the benchmarks' own sources

BLOCK = {"p", "li", "dt", "dd", "div", "blockquote", "pre", "table", "tr", "td", "th", "ul", "ol", "dl",
         "h1", "h2", "h3", "h4", "h5", "h6", "section", "br", "hr"}
SKIP = {"pre", "script", "style", "nav", "head", "title"}
NUMBERING = re.compile(r"^\s*(?:\(\d+\)|\d+(?:\.\d+)*[.:]?|Q\d*[.:])\s+")
SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z(\"'`])")


class Blocks(HTMLParser):
    """An HTML page as (kind, text) blocks: headings (h1-h6, dt) and prose; code, navigation and
    Sphinx sidebars left out."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[tuple[str, str]] = []
        self.buf: list[str] = []
        self.stack: list[str] = []
        self.skip = 0
        self.kind = "p"

    def flush(self) -> None:
        text = " ".join("".join(self.buf).replace("¶", "").split())
        if text:
            self.out.append((self.kind, text))
        self.buf = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        cls = dict(attrs).get("class") or ""
        if tag in BLOCK:
            self.flush()
            self.kind = tag if (tag[0] == "h" and tag[1:].isdigit()) or tag == "dt" else "p"
        if tag in SKIP or "headerlink" in cls or "sphinxsidebar" in cls or "highlight" in cls:
            self.skip += 1
            self.stack.append(tag)
        elif self.skip:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if self.skip and self.stack:
            while self.stack and self.stack.pop() != tag:
                pass
            if not self.stack:
                self.skip = 0
            return
        if tag in BLOCK:
            self.flush()
            self.kind = "p"

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.buf.append(data)


def is_question(kind: str, text: str) -> bool:
    if kind.startswith("h") or kind == "dt":
        return text.rstrip().endswith("?")
    return bool(re.match(r"^\(\d+\) .*\?$", text))  # SQLite's FAQ: <p><b>(1) How do I ...?</b></p>


def sections(page: Path) -> list[tuple[str, list[str]]]:
    """(question heading without its numbering, prose paragraphs under it) for each question heading."""
    parser = Blocks()
    parser.feed(page.read_text(errors="replace"))
    parser.flush()
    out: list[tuple[str, list[str]]] = []
    current: tuple[str, list[str]] | None = None
    for kind, text in parser.out:
        if kind.startswith("h") or kind == "dt" or is_question(kind, text):
            if current:
                out.append(current)
            current = (NUMBERING.sub("", text).strip(), []) if is_question(kind, text) else None
        elif current is not None:
            current[1].append(text)
    if current:
        out.append(current)
    return out


def sentences(paragraphs: list[str]) -> list[str]:
    out: list[str] = []
    for text in paragraphs:
        if len(text) < 3 or (text.endswith("?") and not out and len(text) < 40):
            continue
        text = re.sub(r"^Answer:\s*", "", text)  # Celery's FAQ opens each answer so
        out.extend(s.strip() for s in SENTENCE_END.split(text) if len(s.strip()) > 1)
    return out


def fetch(workdir: Path) -> Path:
    """The packages downloaded and unpacked under workdir/x/NAME."""
    debs, unpacked = workdir / "debs", workdir / "x"
    debs.mkdir(parents=True, exist_ok=True)
    for spec in PACKAGES:
        name = spec.split("=")[0]
        assert not FORBIDDEN.match(name), name
        if not (unpacked / name).is_dir():
            if not list(debs.glob(f"{name}_*.deb")):
                subprocess.run(["apt-get", "download", spec], cwd=debs, check=True, stdout=subprocess.DEVNULL)
            deb = next(debs.glob(f"{name}_*.deb"))
            (unpacked / name).mkdir(parents=True)
            subprocess.run(["dpkg-deb", "-x", str(deb), str(unpacked / name)], check=True)
    return unpacked


def pairs(unpacked: Path) -> list[dict]:
    """One pair per question heading (first of a package kept when repeated): source, question, sentences."""
    out = []
    for name in sorted(spec.split("=")[0] for spec in PACKAGES):
        seen: set[str] = set()
        for page in sorted((unpacked / name).rglob("*.html")):
            if "_sources" in str(page) or "genindex" in page.name or page.stem == "search":
                continue
            for question, paragraphs in sections(page):
                said = sentences(paragraphs)
                if not said or len(" ".join(said)) < 40 or question.lower() in seen or len(question) < 12:
                    continue
                seen.add(question.lower())
                if len(said[0]) < 25 or question.lower().startswith(("what's new", "what’s new")):
                    continue  # "tl;dr;", "About this Document": no answer under the heading
                out.append({"source": name, "question": question, "sentences": said})
    return out


def embed(data: list[dict]) -> dict[str, np.ndarray]:
    """Question vectors; each section's passages (sentences packed up to 450 characters, as ingestion
    does), its sentences' in-passage vectors and their vectors read alone, with their owners."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from index.embedder import get_embedder

    model = get_embedder()
    texts: list[str] = []
    spans: list[list[tuple[int, int]]] = []
    powner: list[int] = []
    sowner: list[int] = []
    spos: list[int] = []
    alone: list[str] = []
    for i, pair in enumerate(data):
        text, cut = "", list[tuple[int, int]]()
        for j, s in enumerate(pair["sentences"][:12]):
            if text and len(text) + 1 + len(s) > 450:
                texts.append(text)
                spans.append(cut)
                powner.append(i)
                text, cut = "", []
            start = len(text) + (1 if text else 0)
            text = f"{text} {s}" if text else s
            cut.append((start, start + len(s)))
            sowner.append(i)
            spos.append(j)
            alone.append(s[:300])
        if text:
            texts.append(text)
            spans.append(cut)
            powner.append(i)
    passages, in_passage = model.encode_passages(texts, spans)
    return {"Q": model.encode([p["question"] for p in data]), "P": passages, "S": np.concatenate(in_passage),
            "A": model.encode(alone), "powner": np.array(powner), "sowner": np.array(sowner),
            "spos": np.array(spos)}


def train(v: dict[str, np.ndarray], rows: np.ndarray, lam: float = 0.1, steps: int = 100, lr: float = 0.01,
          tau: float = 0.05) -> np.ndarray:
    import torch

    torch.set_num_threads(1)
    keep = set(rows.tolist())
    prow = np.array([r for r, o in enumerate(v["powner"]) if o in keep])
    srow = np.array([r for r, o in enumerate(v["sowner"]) if o in keep])
    pos_p = torch.tensor(v["powner"][prow][None, :] == rows[:, None])
    pos_s = torch.tensor((v["sowner"][srow][None, :] == rows[:, None]) & (v["spos"][srow][None, :] <= 1))
    P, S, A = (torch.tensor(v[k][r]) for k, r in (("P", prow), ("S", srow), ("A", srow)))
    Q = torch.tensor(v["Q"][rows])
    dim = Q.shape[1]
    D = torch.nn.Parameter(torch.zeros(dim, dim))
    opt = torch.optim.Adam([D], lr=lr)

    def nce(q: torch.Tensor, targets: torch.Tensor, positive: torch.Tensor) -> torch.Tensor:
        logits = q @ targets.T / tau
        return (torch.logsumexp(logits, 1) - torch.logsumexp(logits.masked_fill(~positive, -1e9), 1)).mean()

    for _ in range(steps):
        W = torch.eye(dim) + D
        q = torch.nn.functional.normalize(Q @ W.T, dim=1)
        loss = nce(q, P, pos_p) + nce(q, S, pos_s) + nce(q, A, pos_s) + lam * (D ** 2).sum()
        opt.zero_grad()
        loss.backward()
        opt.step()
    return (np.eye(dim) + D.detach().numpy()).astype(np.float32)


def scores(v: dict[str, np.ndarray], W: np.ndarray, rows: np.ndarray) -> dict[str, float]:
    """Within the held-out rows' own sections: is the top passage theirs, is the top sentence one of
    their section's first two (in-passage vectors, and vectors read alone)?"""
    q = v["Q"][rows] @ W.T
    q /= np.linalg.norm(q, axis=1, keepdims=True)
    keep = set(rows.tolist())
    prow = np.array([r for r, o in enumerate(v["powner"]) if o in keep])
    srow = np.array([r for r, o in enumerate(v["sowner"]) if o in keep])
    out = {"passage@1": float(np.mean(v["powner"][prow][(q @ v["P"][prow].T).argmax(1)] == rows))}
    for name, key in (("sentence@1 in passage", "S"), ("sentence@1 alone", "A")):
        top = srow[(q @ v[key][srow].T).argmax(1)]
        out[name] = float(np.mean((v["sowner"][top] == rows) & (v["spos"][top] <= 1)))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/sourcebook-adapter"))
    ap.add_argument("--out", type=Path, default=Path(__file__).resolve().parent.parent / "index" / "query_adapter.npy")
    ap.add_argument("--loso", action="store_true")
    args = ap.parse_args()
    data = pairs(fetch(args.workdir))
    sources = np.array([p["source"] for p in data])
    print(f"{len(data)} question-answer pairs from {len(set(sources))} packages", file=sys.stderr)
    v = embed(data)
    if args.loso:
        total: dict[str, list[float]] = {}
        for s in sorted(set(sources)):
            held = np.where(sources == s)[0]
            W = train(v, np.where(sources != s)[0])
            for tag, M in (("identity", np.eye(W.shape[0], dtype=np.float32)), ("adapter", W)):
                for k, x in scores(v, M, held).items():
                    total.setdefault(f"{tag} {k}", []).extend([x] * len(held))
        print(json.dumps({k: round(float(np.mean(x)), 3) for k, x in total.items()}, indent=1), file=sys.stderr)
    np.save(args.out, train(v, np.arange(len(data))))
    print(f"wrote {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
