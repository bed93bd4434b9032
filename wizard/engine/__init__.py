"""The engine layer: plans and applies the steps for one setup and keeps its record (`runner`), what a run
produces (`results`), and how every front end builds one (`build`)."""

from __future__ import annotations

from wizard.engine.build import WATCHED_APPROVAL, Saved, Workspace, engine_for_config_file, sandbox_settings
from wizard.engine.results import (
    EXIT_BAD_INPUT,
    EXIT_FAILED,
    EXIT_OK,
    EXIT_PENDING,
    EXIT_STOPPED,
    ApprovalPolling,
    Event,
    RunResult,
    plan_exit_code,
)
from wizard.engine.runner import Engine

__all__ = [
    "EXIT_BAD_INPUT", "EXIT_FAILED", "EXIT_OK", "EXIT_PENDING", "EXIT_STOPPED", "WATCHED_APPROVAL",
    "ApprovalPolling", "Engine", "Event", "RunResult", "Saved", "Workspace", "engine_for_config_file",
    "plan_exit_code", "sandbox_settings",
]
