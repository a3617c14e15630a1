"""``train export``'s options: bad values are usage errors before any work."""

from __future__ import annotations

import pytest

from train.__main__ import main


@pytest.mark.parametrize("option, fragment", [
    (["--coefficient-filter=abc"], "--coefficient-filter: 'abc' is not comma-separated taps such as 1,6,1"),
    (["--coefficient-filter=1,2"], "coefficient_filter must be an odd number"),
    (["--presets", "-1"], "--presets: expected a whole number of at least 0, got '-1'"),
])
def test_export_usage_errors(tmp_path, capsys, option, fragment):
    with pytest.raises(SystemExit) as exit_:
        main(["export", str(tmp_path), "--out", str(tmp_path / "m.npz"), *option])
    err = capsys.readouterr().err
    assert exit_.value.code == 2 and fragment in err and "usage:" in err, err
