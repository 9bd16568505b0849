"""The real Telegram transport on a real database, talking to the Bot API stand-in."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.adapters.telegram import RateLimits, TelegramTransport
from bot.app import App, build
from bot.settings import Settings
from storage.database import Database
from tests.support.telegram_api import TelegramApi

#: Telegram's limits scaled for quick tests.
FAST = RateLimits(
    overall_per_second=100,
    group_messages=20,
    group_period=2,
    private_burst=50,
    private_period=1,
    update_retry_pause=0.01,
)


@dataclass
class Rig:
    api: TelegramApi
    app: App
    transport: TelegramTransport

    async def restart(self) -> None:
        """A new process: a new transport on the same database and stand-in."""
        await self.transport.stop()
        self.transport = TelegramTransport(self.app, limits=FAST, poll_timeout=1)
        await self.transport.start()


def settings_for(api: TelegramApi, data_dir: Path, **extra: Any) -> Settings:
    return Settings(
        data_dir=data_dir, telegram_token=api.token, telegram_api_url=api.base_url, **extra
    )


@asynccontextmanager
async def running_rig(api: TelegramApi, database: Database, data_dir: Path) -> AsyncIterator[Rig]:
    app = await build(settings_for(api, data_dir), database=database, migrate=False)
    rig = Rig(api, app, TelegramTransport(app, limits=FAST, poll_timeout=1))
    await rig.transport.start()
    try:
        yield rig
    finally:
        await rig.transport.stop()
