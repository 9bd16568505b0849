"""Fixtures for platform tests: a real Synapse homeserver and the Telegram Bot API stand-in."""

from tests.support.synapse import synapse, synapse_default_limits
from tests.support.telegram_api import telegram_api, telegram_api_factory

__all__ = ["synapse", "synapse_default_limits", "telegram_api", "telegram_api_factory"]
