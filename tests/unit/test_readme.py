"""The README against the code: every CLI subcommand, chat command and setting documented,
operator commands runnable after the documented install, the office's parts in German."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest

from bot.cli import _parser
from bot.handlers import COMMANDS
from bot.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text("utf-8")
PROGRAM = ".venv/bin/engagiert-bot"
#: The heading that starts the part for developers, which may stay English.
DEVELOPER_HEADING = re.compile(r"^## Entwicklung\b.*$", re.MULTILINE)
CODE_BLOCK = re.compile(r"^```[^\n]*\n(.*?)^```", re.MULTILINE | re.DOTALL)
INLINE_CODE = re.compile(r"`[^`\n]*`")


def _subcommands(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()):
    """Every runnable subcommand path, e.g. ``("event", "add")``, walked recursively."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                yield from _subcommands(child, (*path, name))
            return
    yield path


SUBCOMMANDS = sorted(_subcommands(_parser()))


def _office_part() -> str:
    """The README up to the developers' section: written for the office and operators."""
    match = DEVELOPER_HEADING.search(README)
    return README[: match.start()] if match else README


def _prose(text: str) -> str:
    return INLINE_CODE.sub(" ", CODE_BLOCK.sub(" ", text))


def test_the_developers_section_comes_last():
    match = DEVELOPER_HEADING.search(README)
    assert match, "README: the developers' section („## Entwicklung …“) is missing"
    assert "\n## " not in README[match.end() :], "README: a section after the developers' one"


def test_the_parser_has_the_known_subcommands():
    assert len(SUBCOMMANDS) > 20
    assert ("member", "list") in SUBCOMMANDS and ("person", "list") in SUBCOMMANDS


@pytest.mark.parametrize("path", SUBCOMMANDS, ids=" ".join)
def test_every_cli_subcommand_is_documented_with_an_example(path):
    command = re.escape("engagiert-bot " + " ".join(path)) + r"(?![\w-])"
    examples = [
        line
        for block in CODE_BLOCK.findall(_office_part())
        for line in block.splitlines()
        if re.search(command, line)
    ]
    assert examples, f"README: no example of `{PROGRAM} {' '.join(path)}` in the office's part"


def test_no_operator_command_is_written_as_a_bare_program_name():
    in_blocks = [
        line.strip()
        for block in CODE_BLOCK.findall(README)
        for line in block.splitlines()
        if re.match(r"(\$\s*)?engagiert-bot\b", line.strip())
    ]
    inline = [code for code in INLINE_CODE.findall(README) if code.startswith("`engagiert-bot ")]
    bare = in_blocks + inline
    assert not bare, f"README: write {PROGRAM} … (only that exists after the install): {bare}"


def test_the_first_code_block_runs_the_demo_and_the_ci_test_command():
    first = CODE_BLOCK.search(README)
    assert first and first.start() < README.index("\n## "), "README: no code block at the top"
    block = first.group(1)
    ci = (ROOT / ".ci" / "run").read_text("utf-8").splitlines()
    test_command = ci[ci.index("# The README's test command:") + 1].strip()
    assert test_command == ".venv/bin/pytest"
    lines = [line for line in block.splitlines() if line and not line.startswith("#")]
    assert lines == [
        "python3 -m venv .venv && .venv/bin/pip install -e . && .venv/bin/engagiert-bot demo",
        f'python3 -m venv .venv && .venv/bin/pip install -e ".[test]" && {test_command}',
    ]


def test_every_chat_command_and_alias_is_in_the_command_table():
    assert "\n## Chat-Befehle\n" in README, "README: the section „## Chat-Befehle“ is missing"
    table = README.split("\n## Chat-Befehle\n", 1)[1].split("\n## ", 1)[0]
    for command in COMMANDS:
        for name in (command.name, *command.aliases):
            assert re.search(rf"`/{name}(?![\w])", table), f"README: /{name} is not documented"


def test_every_setting_is_documented():
    office = _office_part()
    for field in Settings.model_fields:
        name = "ENGAGIERT_" + field.upper()
        assert re.search(rf"`{name}`", office), f"README: {name} is not documented"


ENGLISH_HEADING_WORDS = {
    "architecture",
    "backup",
    "backups",
    "benchmarks",
    "chat commands",
    "commands",
    "configuration",
    "contributing",
    "data protection",
    "installation",
    "joining",
    "limits",
    "notices",
    "operating",
    "polls",
    "reminders",
    "running",
    "setup",
    "the",
    "usage",
    "who",
}
#: Words that are common in English prose and are no German words.
ENGLISH_WORDS = {"the", "and", "of", "is", "are", "with", "which", "when", "this", "that", "to"}


def test_headings_for_the_office_are_german():
    headings = re.findall(r"^#+ (.+)$|^\*\*([^*]+)\.\*\*", _prose(_office_part()), re.MULTILINE)
    assert len(headings) > 10
    english = [
        text
        for pair in headings
        for text in pair
        if text and any(re.search(rf"\b{w}\b", text, re.IGNORECASE) for w in ENGLISH_HEADING_WORDS)
    ]
    assert not english, f"README: English headings before the developers' section: {english}"


def test_prose_for_the_office_is_german():
    words = re.findall(r"[A-Za-zÄÖÜäöüß]+", _prose(_office_part()))
    english = sorted({w for w in words if w.lower() in ENGLISH_WORDS})
    assert len(words) > 2000
    assert not english, f"README: English words before the developers' section: {english}"
