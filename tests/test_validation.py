import numpy as np
import pytest

from kgen.core import validation
from kgen.errors import KgenError, KgenTypeError, KgenValueError


def test_check_int():
    assert validation.check_int("n", np.int64(3), minimum=1) == 3
    with pytest.raises(KgenValueError, match="^n must be an integer >= 1; got 0.$"):
        validation.check_int("n", 0, minimum=1)
    with pytest.raises(KgenTypeError, match="n must be an integer; got True"):
        validation.check_int("n", True)


def test_check_number_open_bounds():
    assert validation.check_number("p", 0.5, 0.0, 1.0, low_open=True) == 0.5
    with pytest.raises(KgenValueError, match="p must be a finite number > 0.0 and <= 1.0; got 0.0"):
        validation.check_number("p", 0.0, 0.0, 1.0, low_open=True)
    with pytest.raises(KgenValueError, match="got nan"):
        validation.check_number("p", float("nan"))


def test_check_choice_and_finite():
    with pytest.raises(KgenValueError, match="loss must be one of 'a', 'b'; got 'c'"):
        validation.check_choice("loss", "c", ("a", "b"))
    with pytest.raises(KgenValueError, match=r"x must be finite; got an array of shape \(3,\).* 1 NaN"):
        validation.check_finite("x", [1.0, np.nan, 2.0])


def test_errors_are_builtin_subclasses():
    assert issubclass(KgenValueError, ValueError) and issubclass(KgenValueError, KgenError)
    assert issubclass(KgenTypeError, TypeError)


def test_install_hints_name_what_provides_the_package():
    from kgen.core.optional import require
    from kgen.errors import MissingDependencyError

    with pytest.raises(MissingDependencyError, match=r"pip install 'kgen\[rl\]'"):
        require("no_such_module_kgen", "Reinforcement learning", extra="rl")
    with pytest.raises(MissingDependencyError, match=r"Loading a preset needs the 'no_such_hub' package.*pip install 'no-such-hub'"):
        require("no_such_hub", "Loading a preset", package="no-such-hub")
