"""The room directory: each running transport answers for its own platform."""

from __future__ import annotations

from core.domain.people import Platform
from core.ports import RoomDirectory


class Rooms:
    """:class:`~core.ports.RoomDirectory` over the transports; a platform that no transport
    serves in this process answers ``False`` (nobody moderates or sits there)."""

    def __init__(self) -> None:
        self._platforms: dict[Platform, RoomDirectory] = {}

    def register(self, platform: Platform, directory: RoomDirectory) -> None:
        self._platforms[platform] = directory

    async def is_moderator(self, platform: Platform, chat_id: str, user_id: str) -> bool:
        directory = self._platforms.get(platform)
        return directory is not None and await directory.is_moderator(platform, chat_id, user_id)

    async def is_member(self, platform: Platform, chat_id: str, user_id: str) -> bool:
        directory = self._platforms.get(platform)
        return directory is not None and await directory.is_member(platform, chat_id, user_id)
