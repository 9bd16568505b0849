"""Running ``engagiert-bot`` as a process the way an operator does."""

from __future__ import annotations

import asyncio
import os
import secrets
import sys
from pathlib import Path

from tests.support.credentials import made
from tests.support.synapse import free_port

__all__ = ["clean_env", "cli", "free_port", "serve"]


#: The test run's log file (``tests/conftest.py``); services started here write into it too.
SESSION_LOG: Path | None = None


def clean_env(data_dir: Path, **settings: str) -> dict[str, str]:
    """The environment without the developer's own ENGAGIERT_* settings, plus ``settings``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ENGAGIERT_")}
    env["ENGAGIERT_DATA_DIR"] = str(data_dir)
    env["ENGAGIERT_SECRET_KEY"] = made(secrets.token_hex(32))  # a throwaway key per test
    if SESSION_LOG is not None:  # the service's own log lines join the test run's
        env["ENGAGIERT_LOG_FILE"] = str(SESSION_LOG)
    env.update(settings)
    return env


async def cli(env: dict[str, str], *args: str) -> str:
    """Run one command; its standard output, which must come with exit status 0."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", *args, env=env, stdout=asyncio.subprocess.PIPE
    )
    out, _ = await proc.communicate()
    assert proc.returncode == 0, args
    return out.decode().strip()


async def serve(env: dict[str, str]) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        "serve",
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
