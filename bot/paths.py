"""Ids in web addresses: ``{event_id:id}`` matches what the chat reads as an id (at most nine
digits, :func:`bot.arguments.number`), so an address with a longer number or a word where the
id belongs is an unknown page (the German 404), never a value the database cannot hold."""

from __future__ import annotations

from starlette.convertors import Convertor, register_url_convertor

from bot.arguments import ID_DIGITS


class IdConvertor(Convertor[int]):
    regex = f"[0-9]{{1,{ID_DIGITS}}}"

    def convert(self, value: str) -> int:
        return int(value)

    def to_string(self, value: int) -> str:
        return str(value)


register_url_convertor("id", IdConvertor())
