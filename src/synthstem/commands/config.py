"""``synthstem config show [CONFIG]``: every key with its value or default."""

help = "show a config with every default filled in, or check one"


def add_arguments(parser):
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    show = sub.add_parser("show", help="print the full config (defaults when no file is given)")
    show.add_argument("config", nargs="?", default=None, help="TOML config file")
    show.add_argument("--json", action="store_true", help="JSON instead of TOML")
    check = sub.add_parser("check", help="validate a config file and print its item count")
    check.add_argument("config", help="TOML config file")


def run(args):
    import json

    from ..config import load_config, to_toml

    config = load_config(args.config)
    if args.action == "show":
        if args.json:
            d = config.to_dict()
            d.pop("base_dir", None)
            print(json.dumps(d, indent=1))
        else:
            print(to_toml(config), end="")
        return 0
    from ..pipeline import plan

    tasks = plan(config, ".")
    print(f"{args.config}: valid; {len(tasks)} items, {sum(len(t.conditions) for t in tasks)} images")
    return 0
