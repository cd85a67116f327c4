"""zsris-make-bag: labelled referring data -> rosbag2 (image, command, ground-truth mask topics)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..evaluation.bag_io import STORAGES, Topics


def add_topic_arguments(parser: argparse.ArgumentParser) -> None:
    defaults = Topics()
    group = parser.add_argument_group("topics")
    group.add_argument("--image-topic", default=defaults.image)
    group.add_argument("--command-topic", default=defaults.command)
    group.add_argument("--gt-topic", default=defaults.ground_truth)
    group.add_argument("--result-topic", default=defaults.result)


def topics_from_args(args) -> Topics:
    return Topics(args.image_topic, args.command_topic, args.gt_topic, args.result_topic)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="zsris-make-bag", description=__doc__)
    parser.add_argument("output", help="bag directory to create (must not exist)")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--refs-jsonl", help="refs.jsonl as in shared/data/refcoco_val56")
    source.add_argument("--refcoco-root", help="folder holding refcoco/, refcoco+/, refcocog/ (official layout)")
    parser.add_argument("--dataset", default="refcoco", choices=["refcoco", "refcoco+", "refcocog"])
    parser.add_argument("--split-by", default="unc", help="unc (RefCOCO, RefCOCO+) or umd (RefCOCOg)")
    parser.add_argument("--split", default="val", help="val, testA, testB, test, ...")
    parser.add_argument("--images", help="COCO train2014 image folder (official layout)")
    parser.add_argument("--limit", type=int, help="at most this many images")
    parser.add_argument("--storage", default="mcap", choices=sorted(STORAGES))
    parser.add_argument("--period", type=float, default=1.0, help="seconds between frames")
    add_topic_arguments(parser)
    args = parser.parse_args(argv)
    from ..evaluation.datasets_to_bag import frames_from_refcoco, frames_from_refs_jsonl, write_frames_bag

    if Path(args.output).exists():
        print(f"zsris-make-bag: error: '{args.output}' exists; choose a new bag path", file=sys.stderr)
        return 2
    try:
        frames = (frames_from_refs_jsonl(Path(args.refs_jsonl), args.limit) if args.refs_jsonl else
                  frames_from_refcoco(Path(args.refcoco_root), args.dataset, args.split_by, args.split,
                                      Path(args.images) if args.images else None, args.limit))
        counts = write_frames_bag(frames, Path(args.output), args.storage, topics_from_args(args), args.period)
    except (FileNotFoundError, KeyError, ValueError) as error:
        print(f"zsris-make-bag: error: {error}", file=sys.stderr)
        return 2
    print(f"wrote {args.output} ({args.storage}): {counts['frames']} frames, {counts['commands']} commands")
    return 0


if __name__ == "__main__":
    sys.exit(main())
