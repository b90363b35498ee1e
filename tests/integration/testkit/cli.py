"""The command tree of the envctl binary, read from its generated bash completion."""
import re


def command_paths(envctl):
    """Every command of the CLI that runs (leaves of the tree), from `envctl completion bash`."""
    script = envctl.run("completion", "bash").stdout
    table = re.search(r"__envctl_subcommands\(\) \{\n    case \"\$1\" in\n(.*?)    esac", script, re.S).group(1)
    children = {path: words.split() for path, words in re.findall(r"'([^']*)'\) echo '([^']*)' ;;", table)}
    leaves = []

    def walk(path):
        subs = children.get(path)
        if not subs:
            leaves.append(path)
            return
        for name in subs:
            walk(f"{path} {name}".strip())

    walk("")
    aliases = {"uninstall"}
    return sorted(leaf for leaf in leaves if leaf.split()[-1] not in aliases)
