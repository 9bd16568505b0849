"""The state port of the transports: what they keep between runs (the Telegram offset, the
Matrix sync token, how far a long message got, the direct chats they opened), as text under
keys. Each call is one transaction of its own."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from core.ports import Clock, UnitOfWork


class TransportState:
    def __init__(self, uow_factory: Callable[[], UnitOfWork], clock: Clock) -> None:
        self._uow = uow_factory
        self._clock = clock

    async def get(self, key: str) -> str | None:
        async with self._uow() as uow:
            return await uow.state.get(key)

    async def put(self, key: str, value: str) -> None:
        await self.put_all({key: value})

    async def put_all(self, values: Mapping[str, str]) -> None:
        """Store every key's value together (all or none)."""
        async with self._uow() as uow:
            for key, value in values.items():
                await uow.state.set(key, value, self._clock.now())
            await uow.commit()

    async def delete(self, key: str) -> None:
        async with self._uow() as uow:
            await uow.state.delete(key)
            await uow.commit()

    async def take(self, key: str) -> str | None:
        """The value of ``key``, which is deleted with the same transaction."""
        async with self._uow() as uow:
            value = await uow.state.get(key)
            await uow.state.delete(key)
            await uow.commit()
        return value
