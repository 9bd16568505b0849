"""/erinnerungen: reminders on or off, the deadline notice, the preferred chat."""

from __future__ import annotations

from bot.context import Context
from bot.reply import Reply
from core.reminders import set_reminder_preferences

ON = frozenset({"an", "ein", "on"})
OFF = frozenset({"aus", "off"})
DEADLINE = frozenset({"anmeldeschluss", "deadline"})
HERE = frozenset({"hier", "here"})


async def erinnerungen(ctx: Context, args: str) -> Reply:
    words = args.lower().split()
    person_id = ctx.person.id
    if len(words) == 1 and words[0] in ON | OFF:
        on = words[0] in ON
        await set_reminder_preferences(ctx.uow(), person_id=person_id, reminders=on)
        return Reply(ctx.t("reminders.on" if on else "reminders.off"), private=True)
    if len(words) == 2 and words[0] in DEADLINE and words[1] in ON | OFF:
        on = words[1] in ON
        await set_reminder_preferences(ctx.uow(), person_id=person_id, deadline_reminders=on)
        return Reply(
            ctx.t("reminders.deadline_on" if on else "reminders.deadline_off"), private=True
        )
    if len(words) == 1 and words[0] in HERE:
        platform = ctx.message.platform.value
        await set_reminder_preferences(ctx.uow(), person_id=person_id, preferred_platform=platform)
        return Reply(ctx.t("reminders.here", platform=ctx.t(f"platform.{platform}")), private=True)
    if words:
        return Reply(ctx.t("error.reminders_usage"), is_error=True)
    async with ctx.uow() as uow:
        prefs = await uow.preferences.get(person_id)
    platform = prefs.preferred_platform
    return Reply(
        ctx.t(
            "reminders.status",
            reminders=ctx.t("reminders.word_on" if prefs.reminders else "reminders.word_off"),
            deadline=ctx.t(
                "reminders.word_on" if prefs.deadline_reminders else "reminders.word_off"
            ),
            platform=ctx.t(f"platform.{platform}") if platform else ctx.t("platform.first"),
        ),
        private=True,
    )
