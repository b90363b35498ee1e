"""envctl config list/get/set/remove with config files in an isolated HOME."""


def config_file(home):
    return home / ".config" / "envctl" / "config.yml"


def test_defaults_and_their_sources(envctl, home, tmp_path):
    out = envctl.json("config", "list")
    assert out["success"] is True
    config, sources = out["config"], out["sources"]
    assert config["channels"] == ["conda-forge"]
    assert sources["channels"] == ["default"]
    assert config["root_prefix"] == str(tmp_path / "root")
    assert sources["root_prefix"] == ["$ENVCTL_ROOT_PREFIX"]
    assert config["envs_dirs"] == [str(tmp_path / "root" / "envs")]
    assert config["pkgs_dirs"] == [str(home / ".cache" / "envctl" / "pkgs")]
    assert config["download_threads"] == 8
    assert config["remote_connect_timeout_secs"] == 9.15
    assert config["ssl_verify"] is True
    assert out["config_file"] == str(config_file(home))
    text = envctl.run("config", "list").stdout
    assert "channels: [conda-forge]  # default" in text


def test_condarc_and_envctl_file_layer_and_merge(envctl, home):
    (home / ".condarc").write_text("auto_activate_base: false\nchannels:\n  - bioconda\n  - conda-forge\n"
                                   "remote_max_retries: 5\n")
    config_file(home).parent.mkdir(parents=True)
    config_file(home).write_text("channels: [pytorch]\nremote_max_retries: 7\nnot_a_key: 1\n")
    proc = envctl.run("config", "list", "--json")
    assert "unknown key 'not_a_key'" in proc.stderr
    assert f"{config_file(home)}:3" in proc.stderr
    out = envctl.json("config", "list")
    assert out["config"]["channels"] == ["pytorch", "bioconda", "conda-forge"]
    assert out["sources"]["channels"] == [f"{config_file(home)}:1", f"{home / '.condarc'}:2"]
    assert out["config"]["remote_max_retries"] == 7
    got = envctl.json("config", "get", "remote_max_retries", env={"ENVCTL_REMOTE_MAX_RETRIES": "9"})
    assert got["value"] == 9
    assert got["sources"] == ["$ENVCTL_REMOTE_MAX_RETRIES"]
    assert envctl.run("config", "get", "channels").stdout.splitlines() == ["pytorch", "bioconda", "conda-forge"]


def test_set_get_remove_round_trip_keeps_other_lines(envctl, home):
    config_file(home).parent.mkdir(parents=True)
    config_file(home).write_text("# my envctl settings\noffline: false  # usually\n\n# mirrors\nchannels: [a]\n")
    out = envctl.json("config", "set", "remote_backoff_factor", "0.5")
    assert out == {"success": True, "file": str(config_file(home)), "key": "remote_backoff_factor", "value": 0.5}
    assert envctl.json("config", "get", "remote_backoff_factor")["value"] == 0.5
    envctl.json("config", "set", "offline", "yes")
    assert envctl.json("config", "get", "offline")["value"] is True
    text = config_file(home).read_text()
    assert text.startswith("# my envctl settings\noffline: true\n\n# mirrors\nchannels: [a]\n")
    assert "remote_backoff_factor: 0.5" in text

    removed = envctl.json("config", "remove", "offline")
    assert removed["removed"] is True
    assert envctl.json("config", "remove", "offline")["removed"] is False
    assert envctl.json("config", "get", "offline")["sources"] == ["default"]
    assert "# mirrors" in config_file(home).read_text()


def test_list_values_append_prepend_remove(envctl, home):
    envctl.json("config", "set", "channels", "conda-forge", "bioconda")
    envctl.json("config", "set", "channels", "pytorch", "--prepend")
    envctl.json("config", "set", "channels", "extra", "--append")
    assert envctl.json("config", "get", "channels")["value"] == ["pytorch", "conda-forge", "bioconda", "extra"]
    envctl.json("config", "set", "channels", "conda-forge", "--append")  # moves to the end
    assert envctl.json("config", "get", "channels")["value"] == ["pytorch", "bioconda", "extra", "conda-forge"]
    out = envctl.json("config", "remove", "channels", "bioconda")
    assert out["value"] == ["pytorch", "extra", "conda-forge"]
    envctl.json("config", "set", "channels", "extra", "--remove")
    assert envctl.json("config", "get", "channels")["value"] == ["pytorch", "conda-forge"]
    error = envctl.json("config", "remove", "channels", "not-there", expect=2)
    assert error["success"] is False
    assert "'not-there' is not in channels" in error["error"]
    envctl.json("config", "set", "proxy_servers.https", "http://proxy.example:3128")
    envctl.json("config", "set", "proxy_servers.http", "http://proxy.example:3128")
    envctl.json("config", "remove", "proxy_servers.http")
    assert envctl.json("config", "get", "proxy_servers")["value"] == {"https": "http://proxy.example:3128"}
    assert envctl.run("config", "get", "proxy_servers.https").stdout == "http://proxy.example:3128\n"


def test_unknown_keys_and_bad_values_exit_2(envctl, home):
    proc = envctl.run("config", "get", "chanels", expect=2)
    assert "unknown configuration key 'chanels'" in proc.stderr
    assert "did you mean 'channels'?" in proc.stderr
    error = envctl.json("config", "set", "nope", "1", expect=2)
    assert error["success"] is False and error["kind"] == "usage"
    proc = envctl.run("config", "set", "download_threads", "zero", expect=2)
    assert "download_threads: expected an integer >= 1, got 'zero'" in proc.stderr
    proc = envctl.run("config", "set", "channel_priority", "sometimes", expect=2)
    assert "one of strict, flexible, disabled" in proc.stderr
    envctl.run("config", "set", "offline", "true", "--append", expect=2)
    envctl.run("config", "set", "pypi_index_url", "pypi.org/simple", expect=2)
    assert not config_file(home).exists()


def test_type_errors_in_files_name_file_and_line(envctl, home):
    (home / ".condarc").write_text("channels: [conda-forge]\nssl_verify: true\nremote_max_retries: lots\n")
    proc = envctl.run("config", "list", expect=2)
    assert f"{home / '.condarc'}:3:21: remote_max_retries: expected an integer >= 0, got 'lots'" in proc.stderr
    error = envctl.json("config", "list", expect=2)
    assert error["success"] is False and error["kind"] == "input"
    (home / ".condarc").unlink()
    proc = envctl.run("config", "get", "offline", env={"ENVCTL_OFFLINE": "perhaps"}, expect=2)
    assert "$ENVCTL_OFFLINE" in proc.stderr


def test_credentials_are_never_printed(envctl, home):
    alias = "https://alice:pa55word@conda.example.com/t/tk-123456/"
    out = envctl.run("config", "set", "channel_alias", alias, "--json")
    assert "pa55word" not in out.stdout and "tk-123456" not in out.stdout
    assert alias in config_file(home).read_text()  # the file keeps what was given
    for args in (("config", "get", "channel_alias"), ("config", "list"), ("config", "list", "--json")):
        proc = envctl.run(*args)
        assert "pa55word" not in proc.stdout + proc.stderr
        assert "tk-123456" not in proc.stdout + proc.stderr
    assert envctl.json("config", "get", "channel_alias")["value"] == "https://***@conda.example.com/t/<TOKEN>/"


def test_expansion_and_other_files(envctl, home, tmp_path):
    condarc = tmp_path / "team.condarc"
    condarc.write_text("pkgs_dirs:\n  - ~/pkgs\n  - ${BIG_DISK}/pkgs\n")
    out = envctl.json("config", "list", env={"CONDARC": str(condarc), "BIG_DISK": "/data"})
    assert out["config"]["pkgs_dirs"][:2] == [str(home / "pkgs"), "/data/pkgs"]
    assert str(condarc) in out["files"]
    written = envctl.json("config", "set", "pkgs_dirs", "~/cache", "--file", str(condarc), "--append")
    assert written["file"] == str(condarc)
    assert "~/cache" in condarc.read_text()
    custom = tmp_path / "custom.yml"
    envctl.json("config", "set", "download_threads", "3", env={"ENVCTL_CONFIG": str(custom)})
    assert "download_threads: 3" in custom.read_text()
    assert envctl.json("config", "get", "download_threads", env={"ENVCTL_CONFIG": str(custom)})["value"] == 3


def test_docs_command_prints_the_key_table(envctl):
    text = envctl.run("config", "docs").stdout
    assert text.startswith("| Key |")
    assert "`ENVCTL_DOWNLOAD_THREADS`" in text
