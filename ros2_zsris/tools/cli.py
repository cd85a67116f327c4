"""What every console tool does around its work: user errors print one message, exit 2."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from ..core.errors import ZsrisError


def run_tool(parser: argparse.ArgumentParser, run: Callable[[argparse.Namespace], int],
             argv: list[str] | None = None) -> int:
    args = parser.parse_args(argv)
    try:
        return run(args)
    except ZsrisError as error:
        print(f"{parser.prog}: error: {error}", file=sys.stderr)
        return 2
