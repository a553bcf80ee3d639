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
