"""One rule for on/off text: the settings' booleans and the runtime's switches agree."""

from __future__ import annotations

import pytest

from accord.runtime.auth import AuthSettings, AuthSettingsError
from accord.switches import parse_switch


@pytest.mark.parametrize("word", ["on", "1", "true", "yes", "ON", " Yes "])
def test_words_that_switch_on(word: str) -> None:
    assert parse_switch(word) is True
    assert AuthSettings.from_env({"ACCORD_AUTH": word}).enabled is True


@pytest.mark.parametrize("word", ["off", "0", "false", "no", "OFF", " No "])
def test_words_that_switch_off(word: str) -> None:
    assert parse_switch(word) is False
    assert AuthSettings.from_env({"ACCORD_AUTH": word}).enabled is False


@pytest.mark.parametrize("word", ["maybe", "2", "enabled", ""])
def test_anything_else_is_refused_with_the_variable_named(word: str) -> None:
    with pytest.raises(ValueError, match="must be 'on' or 'off'"):
        parse_switch(word)
    if word:
        with pytest.raises(AuthSettingsError, match=r"^ACCORD_PUBLIC_METADATA must be 'on'"):
            AuthSettings.from_env({"ACCORD_PUBLIC_METADATA": word})
