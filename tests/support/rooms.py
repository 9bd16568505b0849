"""A room directory for tests: who moderates which chat, who sits in it."""

from __future__ import annotations

from bot.app import App
from core.domain.authority import Place
from core.domain.people import ChatIdentity, Person, Platform
from core.polls import Room


class FakeRooms:
    """:class:`core.ports.RoomDirectory` answered from two sets of (platform, chat, user)."""

    def __init__(self) -> None:
        self.moderators: set[tuple[Platform, str, str]] = set()
        self.members: set[tuple[Platform, str, str]] = set()

    async def is_moderator(self, platform: Platform, chat_id: str, user_id: str) -> bool:
        return (platform, chat_id, user_id) in self.moderators

    async def is_member(self, platform: Platform, chat_id: str, user_id: str) -> bool:
        return (platform, chat_id, user_id) in self.members


def fake_rooms(app: App) -> FakeRooms:
    """Install a :class:`FakeRooms` for every chat platform of ``app``."""
    rooms = FakeRooms()
    for platform in (Platform.TELEGRAM, Platform.MATRIX):
        app.rooms.register(platform, rooms)
    return rooms


def account(person: Person, platform: Platform) -> str:
    """The external id the tests give ``person`` on ``platform``."""
    return f"@p{person.id}:example.org" if platform is Platform.MATRIX else str(7000 + person.id)


async def seat(
    app: App, rooms: FakeRooms, person: Person, room: Room, *, moderator: bool = False
) -> Place:
    """Link ``person`` to an account on the room's platform, seat it in the room (and let it
    moderate there); returns the place of that account in that room."""
    external = account(person, room.platform)
    async with app.uow() as uow:
        await uow.identities.add(
            ChatIdentity(room.platform, external, person.id, person.display_name, app.clock.now())
        )
        await uow.commit()
    rooms.members.add((room.platform, room.chat_id, external))
    if moderator:
        rooms.moderators.add((room.platform, room.chat_id, external))
    return Place(room.platform, room.chat_id, False, external)
