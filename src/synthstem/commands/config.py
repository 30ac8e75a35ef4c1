"""``synthstem config show|check``: every key with its default; a config's plan."""

help = "show a config with every default filled in, or check one and print its plan"


def add_arguments(parser):
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    show = sub.add_parser("show", help="print the full config (defaults when no file is given)")
    show.add_argument("config", nargs="?", default=None, help="TOML config file")
    show.add_argument("--json", action="store_true", help="JSON instead of TOML")
    check = sub.add_parser(
        "check", help="validate a config and every item's inputs as a run would; print the plan")
    check.add_argument("config", help="TOML config file")
    check.add_argument("--plan", action="store_true",
                       help="also list every planned item (name, structure, zone axis)")
    check.add_argument("--estimate", action="store_true",
                       help="estimate the run time: builds representative items of the plan "
                            "(cheapest, median and costliest by a cost model) in memory, timed, "
                            "and prints a range, start-up and item files included (written to a temporary "
                            "folder, removed)")
    check.add_argument("--workers", type=int, default=None,
                       help="workers assumed by --estimate (default: all CPUs)")
    check.add_argument("--limit", type=int, default=None, metavar="N",
                       help="only the first N items of the plan, as 'run --limit N'")


def run(args):
    import json

    from ..runs.config import load_config
    from ..runs.toml import to_toml

    config = load_config(args.config)
    if args.action == "show":
        if args.json:
            d = config.to_dict()
            d.pop("base_dir", None)
            print(json.dumps(d, indent=1))
        else:
            print(to_toml(config), end="")
        return 0
    from ..runs.execute import check_workers
    from ..runs.plan import plan, plan_summary

    from ..runs.run import check_limit

    workers = check_workers(args.workers)
    limit = check_limit(args.limit)
    tasks = plan(config, ".")
    n_planned = len(tasks)
    tasks = tasks[:limit] if limit is not None else tasks
    print(f"{args.config}: valid")
    if limit is not None:
        print(f"--limit {limit}: the first {len(tasks)} of {n_planned} planned items")
    for line in config.simulation.warnings():
        print(line)
    for line in plan_summary(tasks):
        print(line)
    if args.plan:
        for t in tasks:
            planned = t.physics["simulation"].get("planned")
            setting = "" if not planned else (
                f"  {planned['method']}" + (f" f={planned['interpolation']}"
                                            if planned["method"] == "prism" else ""))
            print(f"  {t.index:5d} {t.h5}  uvw {list(t.uvw)}  {t.role}{setting}")
    if args.estimate:
        from ..runs.estimate import estimate, estimate_lines

        from ..runs.estimate import process_seconds

        # what this process spent starting, reading the config and planning: a run does it too
        for line in estimate_lines(estimate(tasks, workers, startup=process_seconds())):
            print(line)
    else:
        print("estimated time: add --estimate (times representative items of the plan)")
    return 0
