import re
from datetime import UTC, datetime
from pathlib import Path
from string import Formatter
from zoneinfo import ZoneInfo

from bot.handlers import COMMANDS
from bot.i18n import Translator, catalogue
from bot.reply import plain_text

ROOT = Path(__file__).resolve().parents[2]


def forms(template: str | dict[str, str]) -> list[str]:
    return [template] if isinstance(template, str) else list(template.values())


def placeholders(template: str | dict[str, str]) -> set[str]:
    found = [{name for _, name, _, _ in Formatter().parse(f) if name} for f in forms(template)]
    assert all(names == found[0] for names in found), template  # every plural form alike
    return found[0]


#: Words that are the same in both languages (names, file types, symbols).
SAME_IN_BOTH = {"platform.telegram", "platform.matrix", "help.entry", "poll.option", "poll.bar"}
SAME_IN_BOTH |= {"event.when", "delivery.entry", "csv.option", "event.kind_audience"}
SAME_IN_BOTH |= {"button.details", "calendar.feed_name"}  # the same word; the network's name
SAME_IN_BOTH |= {"faq.feedback"}  # only numbers and symbols
SAME_IN_BOTH |= {"button.online", "cli.mode.online", "mode.online", "event.mode_places"}
SAME_IN_BOTH |= {"questions.summary_line"}  # only placeholders


def test_both_catalogues_have_every_key_with_the_same_placeholders_and_forms():
    de, en = catalogue("de"), catalogue("en")
    assert set(de) == set(en)
    for key in de:
        assert placeholders(de[key]) == placeholders(en[key]), key
        assert all(f.strip() for f in forms(de[key]) + forms(en[key])), key
        assert type(de[key]) is type(en[key]), key
        if isinstance(de[key], dict):  # German and English: one and other
            assert set(de[key]) == set(en[key]) == {"one", "other"}, key
            assert "count" in placeholders(de[key]), key


def test_no_english_entry_is_left_german():
    de, en = catalogue("de"), catalogue("en")
    same = {key for key in de if de[key] == en[key]}
    assert same <= SAME_IN_BOTH, sorted(same - SAME_IN_BOTH)


def test_plural_forms_follow_the_number():
    tr = Translator(ZoneInfo("Europe/Berlin"))
    assert tr.t("de", "event.places_free", free=1, count=1) == "1 von 1 Platz frei"
    assert tr.t("de", "event.places_free", free=1, count=2) == "1 von 2 Plätzen frei"
    assert tr.t("en", "event.places_free", free=1, count=1) == "1 of 1 place free"
    assert "0 Personen warten" in tr.t("de", "event.places_full", count=0)
    assert "1 Person wartet" in tr.t("de", "event.places_full", count=1)
    assert "1 Anmeldung storniert" in tr.t("de", "delete.done", count=1)
    assert "2 Anmeldungen storniert" in tr.t("de", "delete.done", count=2)


def test_no_template_writes_a_plural_in_brackets():
    """ "Person(en)" and "Anmeldung(en)" are what plural forms replace."""
    for language in ("de", "en"):
        for key, template in catalogue(language).items():
            for form in forms(template):
                assert not re.search(r"\w\((?:en|n|e|s)\)", form), (language, key)


def test_every_error_code_raised_anywhere_has_a_message():
    pattern = re.compile(
        r"(?:NotFound|NotAllowed|SignupClosed|AlreadyRegistered|InvalidInput|DomainError)"
        r"\(\s*f?\"([a-z_{}.]+)\""
    )
    codes = set()
    for path in [*ROOT.glob("core/**/*.py"), *ROOT.glob("bot/**/*.py")]:
        codes |= set(pattern.findall(path.read_text()))
    codes = {c.replace("{existing.status.value}", "confirmed") for c in codes}
    codes |= {c.replace("{mode.value}", m) for c in codes for m in ("on_site", "online")}
    codes |= {"already_waitlisted"}
    # The authority decision names its reasons as Decision(False, "code").
    for path in ROOT.glob("core/**/*.py"):
        codes |= set(re.findall(r"Decision\(False, \"([a-z_]+)\"\)", path.read_text()))
    codes = {c for c in codes if "{" not in c}
    assert len(codes) > 20
    missing = sorted(c for c in codes if f"error.{c}" not in catalogue("de"))
    assert missing == []


def test_every_command_has_help_in_both_languages():
    for command in COMMANDS:
        if command.listed:
            assert command.help_key in catalogue("de")
            assert command.help_key in catalogue("en")


def test_german_and_english_dates_in_berlin_time():
    tr = Translator(ZoneInfo("Europe/Berlin"))
    moment = datetime(2026, 3, 3, 13, 0, tzinfo=UTC)
    assert tr.datetime("de", moment) == "Di., 3. März 2026, 14:00 Uhr"
    assert tr.datetime("en", moment) == "Tue, 3 March 2026, 14:00"
    summer = datetime(2026, 7, 1, 8, 30, tzinfo=UTC)
    assert tr.time("de", summer) == "10:30 Uhr"


def test_parameters_are_escaped_and_plain_text_decodes_them():
    tr = Translator(ZoneInfo("Europe/Berlin"))
    text = tr.t("de", "cancel.confirmed", title="<script>Tom & Jerry</script>")
    assert "<script>" not in text
    assert plain_text(text) == "Sie sind von <script>Tom & Jerry</script> abgemeldet."


def test_unknown_language_falls_back_to_default():
    tr = Translator(ZoneInfo("Europe/Berlin"), "de")
    assert tr.language("fr") == "de"
    assert tr.language("en") == "en"


def test_every_delivery_reason_reads_german():
    from bot.delivery import REASONS, reason

    assert reason("unreachable: no chat on a platform this bot serves") == "unreachable"
    assert reason("Forbidden: bot was blocked by the user") == "blocked"
    assert reason("Bad Request: chat not found") == "chat_not_found"
    assert reason("TimedOut('Timed out')") == "network"
    assert reason("something nobody foresaw") == "other"
    for code in [*(code for code, _ in REASONS), "other"]:
        assert f"delivery.reason.{code}" in catalogue("de")


def test_every_retention_kind_has_a_german_name_for_the_cli():
    from core.retention import PURGES

    assert PURGES and all(f"cli.retention.{name}" in catalogue("de") for name in PURGES)
