"""Long panel messages are wrapped to the sidebar's width instead of cut off at its edge."""

from __future__ import annotations

import types

from multanet_blender import ui_text

LONG = ("'Hero' has 1,234 vertices and 2,400 faces, but head 'jasper' has 5,023 vertices and 9,976 faces: "
        "no head of this checkpoint matches it; add the head's own mesh (Add Head Mesh), or pick a checkpoint "
        "with a rig head and Bake As Shape Keys by Name to drive the mesh's own shape keys by name")


def test_a_long_message_is_wrapped_to_the_panel_width_and_keeps_every_word():
    wide, narrow = ui_text.wrap(LONG, 600), ui_text.wrap(LONG, 250)
    assert len(narrow) > len(wide) > 1
    for lines, px in ((wide, 600), (narrow, 250)):
        assert " ".join(lines) == LONG  # nothing lost, nothing added
        assert max(map(len, lines)) <= px / ui_text.CHAR_PX
    assert ui_text.wrap(LONG, 600, ui_scale=2.0) == ui_text.wrap(LONG, 300)  # a larger UI: fewer characters
    assert ui_text.wrap("short", None) == ["short"] and ui_text.wrap("", 300) == [""]
    assert all(len(line) >= 1 for line in ui_text.wrap(LONG, 10))  # a very narrow panel still shows it all
    assert " ".join(ui_text.wrap(LONG, 10)) == LONG


def test_the_icon_goes_on_the_first_line_only():
    """A UILayout cannot be made without a window (these tests run Blender in the background), so the
    labels are recorded by a stand-in with the two methods the function calls."""
    drawn = []

    class Layout:
        def column(self, align=False):
            return self

        def label(self, text="", icon="NONE"):
            drawn.append((text, icon))

    context = types.SimpleNamespace(region=types.SimpleNamespace(width=300),
                                    preferences=types.SimpleNamespace(view=types.SimpleNamespace(ui_scale=1.0)))
    ui_text.label(Layout(), context, LONG, icon="ERROR")
    assert [t for t, _ in drawn] == ui_text.wrap(LONG, 300)
    assert drawn[0][1] == "ERROR" and {i for _, i in drawn[1:]} == {"BLANK1"}
