"""Errors that speak to the user: what went wrong, which setting, how to fix it.

Every error the engine raises on purpose is a :class:`ZsrisError`; the CLI and the
node print ``str(error)`` and never a stack trace for these.
"""

from __future__ import annotations


class ZsrisError(Exception):
    """A user-facing failure with the setting involved and a way out."""

    def __init__(self, problem: str, *, setting: str | None = None, fix: str | None = None):
        self.problem = problem
        self.setting = setting
        self.fix = fix
        super().__init__(self._render())

    def _render(self) -> str:
        parts = [self.problem]
        if self.setting:
            parts.append(f"(setting: {self.setting})")
        text = " ".join(parts)
        if self.fix:
            text += f"\n  how to fix: {self.fix}"
        return text


class ConfigError(ZsrisError):
    """A setting has a value the engine cannot use."""


class WeightsError(ZsrisError):
    """Model weights are missing, unreadable or do not match the chosen architecture."""


class InputError(ZsrisError):
    """An image or a command cannot be processed as given."""
