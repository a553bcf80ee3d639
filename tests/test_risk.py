"""Which patches can hide an error instead of fixing it (`repairbot.risk.masking`)."""

from __future__ import annotations

import pytest

from repairbot.risk import masking

BEFORE = "def f(x):\n    try:\n        g(x)\n    except KeyError:\n        log(x)\n    h(x)\n"


@pytest.mark.parametrize("after,said", [
    ("def f(x):\n    try:\n        g(x)\n    except KeyError:\n        log(x)\n    try:\n        h(x)\n"
     "    except ValueError:\n        pass\n", ["adds a handler for ValueError that does nothing"]),
    ("def f(x):\n    try:\n        g(x)\n    except (KeyError, TypeError):\n        pass\n    h(x)\n",
     ["adds a handler for (KeyError, TypeError) that does nothing"]),
    ("def f(x):\n    try:\n        g(x)\n    except KeyError:\n        log(x)\n    try:\n        h(x)\n"
     "    except:\n        log(x)\n", ["adds a handler that catches everything (bare except)"]),
    ("def f(x):\n    try:\n        g(x)\n    except KeyError:\n        log(x)\n    try:\n        h(x)\n"
     "    except builtins.Exception:\n        '''ignored'''\n",
     ["adds a handler for builtins.Exception that does nothing",
      "adds a handler that catches everything (builtins.Exception)"]),
])
def test_an_added_handler_that_swallows_or_catches_everything_is_named(after, said):
    assert list(masking(BEFORE, after)) == said


@pytest.mark.parametrize("after", [
    BEFORE,
    BEFORE.replace("h(x)", "h(x or 0)"),
    # a new handler that handles the error (re-raises, logs, returns a value) hides nothing
    BEFORE + "    try:\n        k(x)\n    except OSError:\n        return None\n",
    BEFORE + "    try:\n        k(x)\n    except Exception:\n        raise Error(x)\n".replace("Exception", "OSError"),
    # moving an existing handler is no new one
    "def f(x):\n    h(x)\n    try:\n        g(x)\n    except KeyError:\n        log(x)\n",
])
def test_patches_that_add_no_such_handler_have_no_risk(after):
    assert masking(BEFORE, after) == ()


def test_a_source_that_does_not_parse_is_no_finding():
    assert masking("def f(:\n", "try:\n    f()\nexcept:\n    pass\n") == ()
    assert masking(BEFORE, "def f(:\n") == ()


def test_suggest_names_the_suggestion_that_would_swallow_the_error(tmp_path, capsys):
    import json

    from repairbot.cli import main

    f = tmp_path / "m.py"
    f.write_text("class Box:\n    pass\n\n\ndef forget(box):\n    del box.cache\n    return box\n")
    assert main(["suggest", f"{f}:6", "--top", "50", "--format", "json"]) == 0
    found = json.loads(capsys.readouterr().out)["suggestions"]
    swallow = [s for s in found if "except AttributeError:" in s["diff"]]
    assert swallow and swallow[0]["risks"] == ["adds a handler for AttributeError that does nothing"]
    assert all(s["risks"] == [] for s in found if "except" not in s["diff"])
