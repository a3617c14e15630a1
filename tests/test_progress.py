"""multanet_core.progress: the one status line of training, corpus generation and batch bakes."""


def test_status_line_redraws_on_a_terminal_and_writes_sparse_lines_to_logs():
    import io

    from multanet_core.progress import StatusLine, bar

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    term = Terminal()
    line = StatusLine(term)
    line.show("epoch 1 step 10")
    line.show("epoch 1 step 11")  # within 0.2 s: not drawn
    line.show("step 12", force=True)
    line.done("epoch 1 done")
    assert term.getvalue() == "\repoch 1 step 10\rstep 12        \repoch 1 done\n"
    log = io.StringIO()
    line = StatusLine(log, every=3600)
    for i in range(100):
        line.show(f"step {i}")
    line.done("done")
    assert log.getvalue() == "step 0\ndone\n"
    assert bar(0.5, 4) == "[##..]" and bar(2.0, 2) == "[##]"
