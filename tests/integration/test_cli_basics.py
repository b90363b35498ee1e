"""The envctl binary's entry behaviour: version, usage errors and their exit codes."""


def test_version_text_and_json(envctl):
    assert envctl.run("version").stdout.startswith("envctl ")
    assert envctl.json("version")["version"].count(".") == 2


def test_unknown_command_is_a_usage_error(envctl):
    proc = envctl.run("no-such-command", expect=2)
    assert proc.stderr.strip()
