"""The one shape a normalizer uses to say "this value cannot be used, and why"."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Rejection"]


@dataclass(frozen=True, slots=True)
class Rejection:
    """A value that failed normalization: a machine-readable ``code`` and a human ``message``.

    Codes are stable API: ``empty``, ``placeholder``, ``junk``, ``invalid_syntax``,
    ``too_short``, ``too_long``, ``invalid_country_code``, ``invalid_number``, ``not_a_profile``,
    ``not_linkedin``, ``invalid_handle``, ``invalid_date``, ``implausible_date``, ``too_long_value``.
    """

    code: str
    message: str
