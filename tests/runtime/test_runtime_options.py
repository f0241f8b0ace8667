"""``__runtime__`` options are checked: a typo fails the call instead of running it unbounded."""

from __future__ import annotations

import pickle

import pytest

import runtime
from runtime import InvalidRuntimeOptionError, LocalClient
from runtime.context import peek_auto_session
from runtime.errors import error_from_wire
from tests.runtime.support import PATHS, CallPath, RecordingClient, make_ref


@pytest.mark.parametrize("path", [p for p in PATHS if p.overridable], ids=lambda p: p.name)
def test_a_misspelt_option_fails_on_every_path_before_anything_runs(
    path: CallPath, recorder: RecordingClient
) -> None:
    with pytest.raises(InvalidRuntimeOptionError) as info:
        path.invoke(make_ref(), {"__runtime__": {"sesion_id": "X", "timout": 1}})
    assert info.value.key == "sesion_id"
    assert "did you mean 'session_id'?" in str(info.value)
    assert "known options: session_id, timeout" in str(info.value)
    assert recorder.calls == []
    assert peek_auto_session() is None  # it did not fall back to the auto-session


def test_the_error_is_a_value_error_that_names_the_closest_key() -> None:
    assert issubclass(InvalidRuntimeOptionError, ValueError)
    with pytest.raises(ValueError, match="'timout' \\(did you mean 'timeout'\\?\\)"):
        runtime.call("math", "sqrt", [4], __runtime__={"timout": 1})
    with pytest.raises(InvalidRuntimeOptionError, match="unknown __runtime__ option 'color';"):
        runtime.call("math", "sqrt", [4], __runtime__={"color": "red"})


def test_release_session_checks_options_too(local: LocalClient) -> None:
    with pytest.raises(InvalidRuntimeOptionError):
        runtime.release_session("S", __runtime__={"sessionid": "S"})


def test_the_error_crosses_a_process_boundary() -> None:
    error = InvalidRuntimeOptionError("timout", ("session_id", "timeout"))
    copy = pickle.loads(pickle.dumps(error))
    assert isinstance(copy, InvalidRuntimeOptionError)
    assert (copy.key, copy.known, str(copy)) == ("timout", ("session_id", "timeout"), str(error))
    assert str(error_from_wire(error.to_wire())) == str(error)


def test_local_client_refuses_a_timeout_it_cannot_enforce(local: LocalClient) -> None:
    with pytest.raises(InvalidRuntimeOptionError, match="LocalClient cannot enforce") as info:
        runtime.call("math", "sqrt", [4], __runtime__={"timeout": 5})
    assert info.value.key == "timeout"
    received: list[int] = []
    with pytest.raises(InvalidRuntimeOptionError):
        runtime.stream("builtins", "range", [3], received.append, __runtime__={"timeout": 5})
    assert received == []
    assert runtime.call("math", "sqrt", [4], __runtime__={"timeout": None}) == 2.0


def test_local_client_can_be_told_to_run_timeouts_unbounded() -> None:
    with runtime.using_client(LocalClient(ignore_timeout=True)):
        assert runtime.call("math", "sqrt", [4], __runtime__={"timeout": 5}) == 2.0
