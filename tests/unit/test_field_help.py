"""The field help's text (`present.field_help`): which key a diff row or a JSON line stands
for, what the panel says about a member of the real RDS model and of a small made-up one,
how much documentation shows at 80x24 and wider, and the one line for everything the model
cannot answer (an unknown key, another service, CloudTrail's own fields, no botocore)."""

from __future__ import annotations

import importlib.metadata
import re
import unicodedata
from typing import Any

import pytest

from rdstrail_tui.model.rds_api import RdsModel
from rdstrail_tui.present import field_help as field_help_module
from rdstrail_tui.present.diff import MISSING, DiffRow, Status
from rdstrail_tui.present.field_help import (
    BRIEF_DOC_LINES,
    OPERATION,
    RECORD,
    REQUEST,
    RESPONSE,
    HelpTarget,
    diff_row_field,
    field_help_lines,
    record_field,
)
from rdstrail_tui.present.json_layout import JsonDocument

BOTOCORE = f"botocore {importlib.metadata.version('botocore')}"
RAW_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
ELLIPSIS = "\u2026"


def cells(line: str) -> int:
    return sum(2 if unicodedata.east_asian_width(char) in ("W", "F") else 1 for char in line)


def prose(lines: list[str]) -> str:
    """Wrapped lines as the text they were wrapped from."""
    return re.sub(r"\s+", " ", " ".join(lines))


def documentation(lines: list[str]) -> list[str]:
    """The documentation: what follows the blank line under the labelled lines."""
    return lines[lines.index("") + 1 :]


# -- a small model, so that lengths are known -------------------------------------------------

SENTENCE = "This sentence of the first paragraph has exactly eight words."  # 62 characters
LONG_SENTENCE = " ".join(["A sentence that goes on"] + ["and on"] * 60) + "."


def _doc(*paragraphs: str) -> str:
    return "".join(f"<p>{paragraph}</p>" for paragraph in paragraphs)


SERVICE: dict[str, Any] = {
    "metadata": {"apiVersion": "2014-10-31"},
    "operations": {
        "ModifyThing": {
            "input": {"shape": "ModifyThingMessage"},
            "output": {"shape": "ModifyThingResult"},
            "documentation": _doc("Modifies a thing. It takes a while."),
        },
    },
    "shapes": {
        "ModifyThingMessage": {
            "type": "structure",
            "members": {
                "Sentences": {"shape": "String", "documentation": _doc(" ".join([SENTENCE] * 10))},
                "Endless": {"shape": "String", "documentation": _doc(LONG_SENTENCE)},
                "Headed": {
                    "shape": "String",
                    "documentation": _doc("Short one.", "Constraints:")
                    + f"<ul><li>{LONG_SENTENCE}</li></ul>",
                },
                "Secret": {"shape": "SensitiveString", "documentation": _doc("The secret.")},
                "Bare": {"shape": "String"},
                "Ids": {"shape": "IdList", "documentation": _doc("Some ids.")},
                "IAMThing": {"shape": "String", "documentation": _doc("Odd casing.")},
            },
        },
        "String": {"type": "string"},
        "SensitiveString": {"type": "string", "sensitive": True},
        "IdList": {"type": "list", "member": {"shape": "String"}},
        "ModifyThingResult": {"type": "structure", "members": {"Thing": {"shape": "Thing"}}},
        "Thing": {
            "type": "structure",
            "members": {
                "Status": {"shape": "String", "documentation": _doc("The status.")},
                "Parts": {"shape": "PartList", "documentation": _doc("The parts.")},
                "Pending": {"shape": "PendingThing"},
            },
        },
        "PartList": {"type": "list", "member": {"shape": "Part"}},
        "Part": {
            "type": "structure",
            "members": {"Name": {"shape": "String", "documentation": _doc("Its name.")}},
        },
        "PendingThing": {"type": "structure", "members": {}},
    },
}
MODEL = RdsModel(SERVICE, "test")


def thing(section: str, *path: str | int) -> HelpTarget:
    return HelpTarget("ModifyThing", section, tuple(path))


# -- which key --------------------------------------------------------------------------------


def test_a_key_set_by_aws_is_a_path_of_the_response_and_any_other_row_a_request_parameter() -> None:
    pending = DiffRow(
        "pendingModifiedValues.pendingCloudwatchLogsExports", Status.SET_BY_AWS, MISSING, {}, ""
    )
    assert diff_row_field(pending) == (
        RESPONSE,
        ("pendingModifiedValues", "pendingCloudwatchLogsExports"),
    )
    for status in (Status.APPLIED, Status.PENDING, Status.MASKED, Status.REQUEST_ONLY):
        row = DiffRow("masterUserPassword", status, "****", MISSING, "")
        assert diff_row_field(row) == (REQUEST, ("masterUserPassword",))


@pytest.mark.parametrize(
    ("path", "field"),
    [
        (("requestParameters", "engine"), (REQUEST, ("engine",))),
        (
            ("responseElements", "vpcSecurityGroups", 0, "status"),
            (RESPONSE, ("vpcSecurityGroups", 0, "status")),
        ),
        # The record, its eventName and the sections' own lines: the call itself.
        ((), (OPERATION, ())),
        (("eventName",), (OPERATION, ())),
        (("requestParameters",), (OPERATION, ())),
        (("responseElements",), (OPERATION, ())),
        (("eventTime",), (RECORD, ("eventTime",))),
        (
            ("userIdentity", "sessionContext", "attributes"),
            (RECORD, ("userIdentity", "sessionContext", "attributes")),
        ),
    ],
)
def test_a_json_path_of_a_record_names_its_section(
    path: tuple[str | int, ...], field: tuple[str, tuple[str | int, ...]]
) -> None:
    assert record_field(path) == field


def test_every_line_of_a_document_knows_its_json_path() -> None:
    record = {
        "eventName": "ModifyDBInstance",
        "requestParameters": {"engine": "mysql", "tags": [{"key": "a"}, []], "empty": {}},
        "responseElements": None,
    }
    document = JsonDocument(record)
    paths = {
        "".join(text for text, _ in document.row_spans(row)): document.path(row)
        for row in range(len(document.rows))
    }
    assert paths['"engine": "mysql",'] == ("requestParameters", "engine")
    assert paths['"key": "a"'] == ("requestParameters", "tags", 0, "key")
    assert paths["[]"] == ("requestParameters", "tags", 1)
    assert paths['"empty": {}'] == ("requestParameters", "empty")
    assert paths['"responseElements": null'] == ("responseElements",)
    # A closing bracket stands for its container; the outermost value is the empty path.
    opening = [row for row in range(len(document.rows)) if document.rows[row].opens][1]
    closing = document.rows[opening].end  # requestParameters' `},`
    assert document.path(closing) == ("requestParameters",)
    assert document.path(0) == () == document.path(len(document.rows) - 1)


# -- what the panel says ----------------------------------------------------------------------


def test_a_sensitive_request_parameter_of_the_real_model() -> None:
    target = HelpTarget("ModifyDBInstance", REQUEST, ("masterUserPassword",))
    lines = field_help_lines(target, 72)
    assert lines[:4] == [
        "key   masterUserPassword",
        "in    ModifyDBInstance request",
        "type  string, sensitive (CloudTrail records a mask, never the value)",
        "",
    ]
    doc = documentation(lines)
    assert doc[0] == "The new password for the master user."
    assert 1 < len(doc) <= BRIEF_DOC_LINES
    assert all(cells(line) <= 72 for line in lines)


def test_a_key_set_by_aws_of_the_real_model_is_read_in_the_response() -> None:
    target = HelpTarget("CreateDBInstance", RESPONSE, ("vpcSecurityGroups", 0, "status"))
    lines = field_help_lines(target, 72)
    assert lines[:3] == [
        "key   vpcSecurityGroups[].status",
        "in    CreateDBInstance response",
        "type  string",
    ]
    assert documentation(lines)[0] == "The membership status of the VPC security group."


def test_the_key_is_spelt_as_cloudtrail_writes_it() -> None:
    # Old records vary the case; the model's member, as CloudTrail spells it, is shown.
    lines = field_help_lines(HelpTarget("ModifyDBInstance", REQUEST, ("AllocatedStorage",)), 72)
    assert lines[:3] == [
        "key   allocatedStorage",
        "in    ModifyDBInstance request",
        "type  integer",
    ]
    lines = field_help_lines(thing(REQUEST, "iamthing"), 72, model=MODEL)
    assert lines[0] == "key   iAMThing"


@pytest.mark.parametrize(
    ("target", "kind"),
    [
        (thing(REQUEST, "Ids"), "list of string"),
        (thing(RESPONSE, "parts"), "list of Part"),
        (thing(RESPONSE, "parts", 3, "name"), "string"),
        (thing(RESPONSE, "pending"), "structure PendingThing"),
        (
            thing(REQUEST, "secret"),
            "string, sensitive (CloudTrail records a mask, never the value)",
        ),
    ],
)
def test_the_type_says_what_a_value_holds(target: HelpTarget, kind: str) -> None:
    assert f"type  {kind}" in field_help_lines(target, 100, model=MODEL)


def test_a_member_without_documentation_says_so() -> None:
    lines = field_help_lines(thing(REQUEST, "bare"), 72, model=MODEL)
    assert documentation(lines) == ["(the model has no documentation for this member)"]


def test_the_call_itself_has_its_own_documentation() -> None:
    lines = field_help_lines(HelpTarget("ModifyDBInstance", OPERATION), 72)
    assert lines[:2] == ["call  ModifyDBInstance (writes)", ""]
    assert documentation(lines)[0].startswith("Modifies settings for a DB instance.")
    lines = field_help_lines(HelpTarget("DescribeDBInstances", OPERATION), 72)
    assert lines[0] == "call  DescribeDBInstances (reads)"


# -- how much documentation -------------------------------------------------------------------


def test_at_80x24_whole_first_sentences_in_six_lines_and_wider_the_whole_first_paragraph() -> None:
    brief = documentation(field_help_lines(thing(REQUEST, "sentences"), 40, model=MODEL))
    assert len(brief) <= BRIEF_DOC_LINES
    assert brief[-1].endswith(f". {ELLIPSIS}")  # whole sentences, and more left out
    assert prose(brief).count("eight words.") == 3  # two lines a sentence at 40
    wide = documentation(field_help_lines(thing(REQUEST, "sentences"), 40, wide=True, model=MODEL))
    assert prose(wide).count("eight words.") == 10 and not wide[-1].endswith(ELLIPSIS)
    assert all(cells(line) <= 40 for line in brief + wide)


def test_a_first_sentence_longer_than_six_lines_is_cut() -> None:
    brief = documentation(field_help_lines(thing(REQUEST, "endless"), 40, model=MODEL))
    assert len(brief) == BRIEF_DOC_LINES
    assert brief[-1].endswith(ELLIPSIS) and cells(brief[-1]) <= 40
    assert brief[0].startswith("A sentence that goes on and on")


def test_a_heading_whose_items_are_left_out_is_left_out_too() -> None:
    brief = documentation(field_help_lines(thing(REQUEST, "headed"), 40, model=MODEL))
    assert brief == [f"Short one. {ELLIPSIS}"]


def test_paragraphs_stand_apart_by_their_hanging_lines() -> None:
    doc = documentation(field_help_lines(thing(REQUEST, "sentences"), 40, model=MODEL))
    assert not doc[0].startswith(" ") and all(line.startswith("  ") for line in doc[1:])


def test_without_a_width_each_paragraph_is_one_line() -> None:
    lines = field_help_lines(thing(OPERATION), model=MODEL)
    assert lines == ["call  ModifyThing (writes)", "", "Modifies a thing. It takes a while."]


# -- what the model cannot answer: one line ---------------------------------------------------


def test_an_unknown_member_or_call_is_one_line() -> None:
    assert field_help_lines(HelpTarget("ModifyFooBar", REQUEST, ("someKey",))) == [
        f"ModifyFooBar.someKey is not in the RDS model ({BOTOCORE}): no documentation"
    ]
    assert field_help_lines(HelpTarget("ModifyDBInstance", REQUEST, ("someKey",))) == [
        f"ModifyDBInstance.someKey is not in the RDS model ({BOTOCORE}): no documentation"
    ]
    assert field_help_lines(HelpTarget("ModifyDBInstance", RESPONSE, ("x", 0, "y"))) == [
        f"ModifyDBInstance response x[].y is not in the RDS model ({BOTOCORE}): no documentation"
    ]
    assert field_help_lines(HelpTarget("ModifyFooBar", OPERATION)) == [
        f"ModifyFooBar is not in the RDS model ({BOTOCORE}): no documentation"
    ]
    # Wrapped to the panel, the same words.
    wrapped = field_help_lines(HelpTarget("ModifyFooBar", REQUEST, ("someKey",)), 40)
    assert len(wrapped) > 1 and all(cells(line) <= 40 for line in wrapped)
    assert prose(wrapped) == (
        f"ModifyFooBar.someKey is not in the RDS model ({BOTOCORE}): no documentation"
    )


def test_without_botocores_model_one_line_and_no_exception(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    target = HelpTarget("ModifyDBInstance", REQUEST, ("masterUserPassword",))
    expected = [
        "ModifyDBInstance.masterUserPassword: botocore's RDS model is not installed:"
        " no documentation"
    ]
    assert field_help_lines(target, model=None) == expected
    monkeypatch.setattr(field_help_module, "rds_model", lambda: None)
    assert field_help_lines(target) == expected
    assert field_help_lines(HelpTarget("ModifyDBInstance", OPERATION)) == [
        "ModifyDBInstance: botocore's RDS model is not installed: no documentation"
    ]


def test_another_service_and_cloudtrails_own_fields_are_one_line() -> None:
    metrics = HelpTarget("ListTagsForResource", REQUEST, ("resourceARN",), "pi.amazonaws.com")
    assert field_help_lines(metrics) == [
        "ListTagsForResource.resourceARN is a call to pi.amazonaws.com, not to"
        " rds.amazonaws.com: the RDS model does not document it"
    ]
    own = HelpTarget("ModifyDBInstance", RECORD, ("userIdentity", "sessionContext"))
    assert field_help_lines(own) == [
        "userIdentity.sessionContext is a field of the CloudTrail record, not of the RDS API:"
        " no RDS documentation"
    ]


HOSTILE = "\x1b[2J\x1b]52;c;aGk=\x07\u202e[bold red]x[/]"


@pytest.mark.parametrize(
    "target",
    [
        HelpTarget(f"Modify{HOSTILE}", REQUEST, (f"key{HOSTILE}",)),
        HelpTarget("ModifyDBInstance", RESPONSE, (f"a{HOSTILE}", 0, "b")),
        HelpTarget("ModifyDBInstance", RECORD, (HOSTILE,)),
        HelpTarget(f"x{HOSTILE}", OPERATION),
        HelpTarget("ModifyDBInstance", REQUEST, ("x",), f"evil{HOSTILE}"),
    ],
)
def test_attacker_made_keys_are_shown_escaped(target: HelpTarget) -> None:
    for width in (None, 40, 72):
        lines = field_help_lines(target, width)
        assert not any(RAW_CONTROL.search(line) for line in lines), lines
    assert "\\x1b[2J" in "".join(field_help_lines(target))
    # Brackets are text: nothing here is ever read as markup.
    assert "[bold red]x[/]" in "".join(field_help_lines(target))
