import re
from datetime import UTC, datetime
from pathlib import Path
from string import Formatter
from zoneinfo import ZoneInfo

from bot.handlers import COMMANDS
from bot.i18n import Translator, catalogue
from bot.reply import plain_text

ROOT = Path(__file__).resolve().parents[2]


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in Formatter().parse(template) if name}


def test_both_catalogues_have_every_key_with_the_same_placeholders():
    de, en = catalogue("de"), catalogue("en")
    assert set(de) == set(en)
    for key in de:
        assert placeholders(de[key]) == placeholders(en[key]), key
        assert de[key].strip() and en[key].strip(), key


def test_every_error_code_raised_anywhere_has_a_message():
    pattern = re.compile(
        r"(?:NotFound|NotAllowed|SignupClosed|AlreadyRegistered|InvalidInput|DomainError)"
        r"\(\s*f?\"([a-z_{}.]+)\""
    )
    codes = set()
    for path in [*ROOT.glob("core/**/*.py"), *ROOT.glob("bot/**/*.py")]:
        codes |= set(pattern.findall(path.read_text()))
    codes = {c.replace("{existing.status.value}", "confirmed") for c in codes}
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
