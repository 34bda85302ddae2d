"""Milestones: the labelled stages of one installer or remover; their count is its step count."""

from __future__ import annotations

from django.db import models


class Milestones(models.TextChoices):
    """Subclass per installer/remover: `PREPARE_SYSTEM = "prepare_system", "Preparing system"`."""

    @classmethod
    def count_labels(cls) -> int:
        return len(cls.values)

    @classmethod
    def step_of(cls, milestone: str) -> int:
        """1-based position of a milestone: "step N of count_labels()"."""
        return cls.values.index(milestone) + 1
