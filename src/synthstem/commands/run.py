"""``synthstem run CONFIG --out DIR``: make (or resume) a whole dataset."""

help = "make a dataset from a config file (a killed run resumes with the same command)"


def add_arguments(parser):
    parser.add_argument("config", help="TOML config file (see 'synthstem config show')")
    parser.add_argument("--out", required=True, help="dataset folder (created; resumed if unfinished)")
    parser.add_argument("--workers", type=int, default=None,
                        help="local worker processes, >= 1 (default: all CPUs; 1 = this process)")
    parser.add_argument("--scheduler", default=None,
                        help="Dask scheduler address, e.g. tcp://127.0.0.1:8786 (overrides --workers)")
    parser.add_argument("--seed", type=int, default=None, help="override run.seed")
    parser.add_argument("--limit", type=int, default=None, metavar="N",
                        help="make only the first N items of the plan (the same files as a full "
                             "run's first N; a later run without --limit completes the dataset)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.add_argument("--no-preview", action="store_true", help="do not write preview.png")
    parser.add_argument("--no-report", action="store_true",
                        help="do not write report.html (the page of 'synthstem report'; --no-preview skips it too)")


def run(args):
    import sys
    from pathlib import Path

    from ..runs.config import load_config
    from ..runs.run import run_dataset
    from ._checks import output_folder

    config = load_config(args.config)
    output_folder(args.out)  # a file in the way or a read-only place: named before any work
    report = run_dataset(config, args.out, workers=args.workers, scheduler=args.scheduler,
                         seed=args.seed, progress=not args.no_progress, limit=args.limit)
    out = Path(args.out).resolve()
    if report.interrupted:
        print(f"interrupted: {report.done} item(s) made, {report.skipped} already there, "
              f"{report.n_items} planned; run the same command to complete {out}", file=sys.stderr)
        return 130
    print(f"items: {report.done} made, {report.skipped} already there, "
          f"{len([f for f in report.failed if f.get('index', -1) >= 0])} failed, "
          f"{report.n_items} planned; {report.wall:.1f} s")
    if report.prism_flagged:
        worst = max(report.prism_flagged, key=lambda r: r["error"])
        print(f"warning: PRISM accuracy check above the tolerance in {len(report.prism_flagged)} "
              f"item(s) (largest error {worst['error']:.3g} in {worst['item']}): see "
              "params['accuracy'], the report's accuracy section and docs/physics.md (PRISM "
              "accuracy check)",
              file=sys.stderr)
    e = report.exports
    if e and e.get("skipped"):
        print(f"exports: {out / 'annotations'} kept: {e['skipped']}")
    elif e:
        line = f"exports: {e.get('root', out / 'annotations')}: {e.get('n_images', '?')} images"
        if e.get("n_augmented"):
            line += f", {e['n_augmented']} augmented (incl. originals) in {e.get('augmented_root')}"
        if e.get("splits"):
            line += f"; splits {', '.join(e['splits'])}"
        if e.get("n_skipped_missing_condition"):
            line += f"; {e['n_skipped_missing_condition']} item images missing an export condition"
        print(line)
    print(f"dataset: {out}")
    if not args.no_preview and report.done + report.skipped:
        from .preview import contact_sheet

        try:
            print(f"preview: {contact_sheet(out, out / 'preview.png')}")
        except Exception as err:  # a preview problem must not hide a finished dataset
            print(f"synthstem run: preview failed: {err}", file=sys.stderr)
    if not (args.no_report or args.no_preview) and report.done + report.skipped:
        from ..report import write_report

        try:
            print(f"report: {write_report(out)}")
        except Exception as err:  # as for the preview: the dataset is finished anyway
            print(f"synthstem run: report failed: {err}", file=sys.stderr)
    if report.accuracy:  # the last line of stdout: what every image passed
        from ..physics.accuracy import summarize, summary_line

        print(summary_line(summarize(report.accuracy)))
    if report.failed:
        print(f"synthstem run: {len(report.failed)} failure(s), see {out / 'failures.json'}",
              file=sys.stderr)
        return 1
    return 0
